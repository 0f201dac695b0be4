#include "stream/kafka_common.h"

#include <librdkafka/rdkafka.h>

#include <fmt/format.h>

namespace flowsentry::stream {
namespace {

bool tls(std::string_view protocol) {
  return protocol == "ssl" || protocol == "sasl_ssl";
}
bool sasl(std::string_view protocol) {
  return protocol.starts_with("sasl_");
}

// The first of `names` that is set, or "".
std::string first_set(const Config& c, std::initializer_list<const char*> names) {
  for (const char* n : names) {
    if (!c.get_string(n).empty()) return n;
  }
  return {};
}

Status check_security(const Config& c, const std::string& protocol) {
  auto bad = [](std::string message) {
    return make_error(ErrorCode::kInvalidArgument, std::move(message), "kafka settings");
  };
  if (!tls(protocol)) {
    auto set = first_set(c, {"kafka.ssl_ca_location", "kafka.ssl_certificate_location",
                             "kafka.ssl_key_location", "kafka.ssl_key_password"});
    if (!set.empty()) {
      return bad(fmt::format("{} is set but kafka.security_protocol is {}: use ssl or sasl_ssl",
                             set, protocol));
    }
  }
  if (!sasl(protocol)) {
    auto set = first_set(c, {"kafka.sasl_username", "kafka.sasl_password"});
    if (!set.empty()) {
      return bad(
          fmt::format("{} is set but kafka.security_protocol is {}: use sasl_ssl or sasl_plaintext",
                      set, protocol));
    }
  } else if (c.get_string("kafka.sasl_username").empty() ||
             c.get_string("kafka.sasl_password").empty()) {
    return bad(
        fmt::format("kafka.security_protocol {} needs kafka.sasl_username and "
                    "kafka.sasl_password",
                    protocol));
  }
  if (c.get_string("kafka.ssl_certificate_location").empty() !=
      c.get_string("kafka.ssl_key_location").empty()) {
    return bad(
        "a TLS client certificate needs both kafka.ssl_certificate_location and "
        "kafka.ssl_key_location");
  }
  return {};
}

}  // namespace

Result<KafkaProperties> client_properties(const Config& c) {
  const auto& protocol = c.get_string("kafka.security_protocol");
  if (auto st = check_security(c, protocol); !st.ok()) return st.error();
  KafkaProperties p{{"security.protocol", protocol}};
  auto copy = [&](const char* setting, const char* property) {
    if (const auto& v = c.get_string(setting); !v.empty()) p[property] = v;
  };
  if (tls(protocol)) {
    copy("kafka.ssl_ca_location", "ssl.ca.location");
    copy("kafka.ssl_certificate_location", "ssl.certificate.location");
    copy("kafka.ssl_key_location", "ssl.key.location");
    copy("kafka.ssl_key_password", "ssl.key.password");
    p["ssl.endpoint.identification.algorithm"] = c.get_string("kafka.ssl_endpoint_identification");
  }
  if (sasl(protocol)) {
    p["sasl.mechanisms"] = c.get_string("kafka.sasl_mechanism");
    copy("kafka.sasl_username", "sasl.username");
    copy("kafka.sasl_password", "sasl.password");
  }
  for (const auto& [k, v] : c.get_table("kafka.properties")) p[k] = v;
  return p;
}

bool secret_property(std::string_view key) {
  for (std::string_view word : {"password", "secret", "jaas", "pem", "oauthbearer.config"}) {
    if (key.find(word) != std::string_view::npos) return true;
  }
  return false;
}

std::optional<Error> auth_failure(int err, std::string_view reason, std::string_view brokers) {
  switch (static_cast<rd_kafka_resp_err_t>(err)) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR_UNSUPPORTED_SASL_MECHANISM:
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("Kafka authentication failed: {} (check kafka.sasl_username, "
                                    "kafka.sasl_password and kafka.sasl_mechanism)",
                                    reason),
                        std::string(brokers));
    case RD_KAFKA_RESP_ERR__SSL:
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("Kafka TLS handshake failed: {} (check "
                                    "kafka.ssl_ca_location, kafka.ssl_endpoint_identification "
                                    "and that the brokers speak TLS on this port)",
                                    reason),
                        std::string(brokers));
    default:
      return std::nullopt;
  }
}

namespace detail {

Status apply_properties(rd_kafka_conf_t* conf, const KafkaProperties& props) {
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("bad Kafka property {}={}: {}", k, secret_property(k) ? "***" : v, err));
    }
  }
  return {};
}

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  if (!list) return out;
  out.reserve(static_cast<size_t>(list->cnt));
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    out.push_back(TopicPartition{e.topic, e.partition, e.offset});
  }
  return out;
}

rd_kafka_topic_partition_list_t* to_list(const std::vector<TopicPartition>& tps) {
  auto* list = rd_kafka_topic_partition_list_new(static_cast<int>(tps.size()));
  for (const auto& tp : tps) {
    rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition)->offset = tp.offset;
  }
  return list;
}

}  // namespace detail
}  // namespace flowsentry::stream
