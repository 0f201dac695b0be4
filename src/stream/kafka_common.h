// Shared Kafka types: a topic-partition with an offset, message headers, and the plumbing that
// turns librdkafka configuration into Result errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/config.h"
#include "common/result.h"

struct rd_kafka_conf_s;
struct rd_kafka_topic_partition_list_s;

namespace flowsentry::stream {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = -1001;  // RD_KAFKA_OFFSET_INVALID unless set; for commits: next to read

  bool operator==(const TopicPartition&) const = default;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// Extra librdkafka properties ("key" -> "value") applied after flowsentry's defaults.
using KafkaProperties = std::map<std::string, std::string>;

// The client security settings (kafka.security_protocol, kafka.ssl_*, kafka.sasl_*) and the
// kafka.properties passthrough as librdkafka properties, for every consumer and producer.
// Settings that do not fit together (a CA file with plaintext, SASL without a user) are errors
// naming the settings, not a client that silently ignores them.
Result<KafkaProperties> client_properties(const Config& config);

// Whether a librdkafka property holds a secret: its value is never printed or logged.
bool secret_property(std::string_view key);

// An authentication or TLS handshake failure (librdkafka error code) as a fatal error, or none for
// any other code. Retrying with the same credentials or CA fails the same way forever, so the
// client stops and says what to check instead of reconnecting in a loop.
std::optional<Error> auth_failure(int err, std::string_view reason, std::string_view brokers);

namespace detail {
// Sets every property on `conf`; the error names the property and librdkafka's complaint.
Status apply_properties(rd_kafka_conf_s* conf, const KafkaProperties& props);
std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_s* list);
rd_kafka_topic_partition_list_s* to_list(const std::vector<TopicPartition>& tps);
}  // namespace detail

}  // namespace flowsentry::stream
