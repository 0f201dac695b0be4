#include "stream/kafka_common.h"

#include <librdkafka/rdkafka.h>

#include <fmt/format.h>

namespace flowsentry::stream::detail {

Status apply_properties(rd_kafka_conf_t* conf, const KafkaProperties& props) {
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf, k.c_str(), v.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("bad Kafka property {}={}: {}", k, v, err));
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

}  // namespace flowsentry::stream::detail
