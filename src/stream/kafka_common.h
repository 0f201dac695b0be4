// Shared Kafka types: a topic-partition with an offset, message headers, and the plumbing that
// turns librdkafka configuration into Result errors.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

namespace detail {
// Sets every property on `conf`; the error names the property and librdkafka's complaint.
Status apply_properties(rd_kafka_conf_s* conf, const KafkaProperties& props);
std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_s* list);
rd_kafka_topic_partition_list_s* to_list(const std::vector<TopicPartition>& tps);
}  // namespace detail

}  // namespace flowsentry::stream
