#include "stream/kafka_consumer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "common/log.h"
#include "stream/message.h"

namespace flowsentry::stream {

const char* rebalance_kind_name(RebalanceEvent::Kind kind) {
  switch (kind) {
    case RebalanceEvent::Kind::kAssigned:
      return "assigned";
    case RebalanceEvent::Kind::kRevoked:
      return "revoked";
    case RebalanceEvent::Kind::kLost:
      return "lost";
  }
  return "?";
}

struct ConsumerCallbacks {
  static void rebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                        rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<KafkaConsumer*>(opaque)->rebalance(static_cast<int>(err), partitions);
  }
  // Client-level errors (broker down, authentication) arrive here from inside poll, not as
  // messages.
  static void error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    auto* self = static_cast<KafkaConsumer*>(opaque);
    if (auto fatal = auth_failure(err, reason, self->config_.brokers)) {
      if (!self->fatal_) self->fatal_ = std::move(fatal);
      return;
    }
    module_logger("stream")->warn("kafka consumer: {}", reason);
  }
  static void log(const rd_kafka_t*, int level, const char* fac, const char* buf) {
    module_logger("stream")->log(level <= 3   ? spdlog::level::err
                                 : level <= 5 ? spdlog::level::warn
                                              : spdlog::level::debug,
                                 "kafka consumer {}: {}", fac, buf);
  }
};

namespace {
std::string describe(const std::vector<TopicPartition>& tps) {
  std::string s;
  for (const auto& tp : tps)
    s += fmt::format("{}{}[{}]", s.empty() ? "" : " ", tp.topic, tp.partition);
  return s;
}
bool cooperative(rd_kafka_t* rk) {
  return std::strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
}
}  // namespace

void KafkaConsumer::rebalance(int err_code, void* list_ptr) {
  auto err = static_cast<rd_kafka_resp_err_t>(err_code);
  auto* list = static_cast<rd_kafka_topic_partition_list_t*>(list_ptr);
  auto log = module_logger("stream");
  RebalanceEvent ev;
  ev.partitions = detail::to_vector(list);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_error_t* e = nullptr;
    rd_kafka_resp_err_t e2 = RD_KAFKA_RESP_ERR_NO_ERROR;
    if (cooperative(rk_)) {
      e = rd_kafka_incremental_assign(rk_, list);
    } else {
      e2 = rd_kafka_assign(rk_, list);
    }
    if (e) {
      log->error("kafka: assigning {} failed: {}", describe(ev.partitions),
                 rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    } else if (e2) {
      log->error("kafka: assigning {} failed: {}", describe(ev.partitions), rd_kafka_err2str(e2));
    }
    if (paused_) rd_kafka_pause_partitions(rk_, list);
    log->info("kafka group {}: assigned {}", config_.group, describe(ev.partitions));
    ev.kind = RebalanceEvent::Kind::kAssigned;
    if (on_rebalance_) on_rebalance_(ev);
    return;
  }
  // Revoke (or lost): tell the caller first, so it can store and commit while it still owns them.
  ev.kind =
      rd_kafka_assignment_lost(rk_) ? RebalanceEvent::Kind::kLost : RebalanceEvent::Kind::kRevoked;
  if (err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS) {
    log->error("kafka group {}: rebalance error: {}", config_.group, rd_kafka_err2str(err));
    ev.kind = RebalanceEvent::Kind::kLost;
  }
  log->info("kafka group {}: {} {}", config_.group, rebalance_kind_name(ev.kind),
            describe(ev.partitions));
  if (on_rebalance_) on_rebalance_(ev);
  if (cooperative(rk_)) {
    if (rd_kafka_error_t* e = rd_kafka_incremental_unassign(rk_, list)) {
      log->error("kafka: unassigning failed: {}", rd_kafka_error_string(e));
      rd_kafka_error_destroy(e);
    }
  } else {
    rd_kafka_assign(rk_, nullptr);
  }
}

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::create(const ConsumerConfig& c,
                                                             RebalanceHandler on_rebalance) {
  if (c.brokers.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no Kafka brokers given (kafka.brokers)");
  }
  if (c.topics.empty()) return make_error(ErrorCode::kInvalidArgument, "no Kafka topic given");
  std::unique_ptr<KafkaConsumer> self(new KafkaConsumer(c));
  self->on_rebalance_ = std::move(on_rebalance);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  KafkaProperties props{
      {"bootstrap.servers", c.brokers},
      {"group.id", c.group},
      {"client.id", c.client_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"enable.partition.eof", "false"},
      {"auto.offset.reset", c.auto_offset_reset},
      {"session.timeout.ms", std::to_string(c.session_timeout.count())},
      {"heartbeat.interval.ms",
       std::to_string(std::max<int64_t>(c.session_timeout.count() / 5, 100))},
      {"partition.assignment.strategy", c.assignment_strategy},
      {"fetch.wait.max.ms", "100"},
  };
  for (const auto& [k, v] : c.extra) props[k] = v;
  if (auto st = detail::apply_properties(conf, props); !st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st.error();
  }
  rd_kafka_conf_set_rebalance_cb(conf, &ConsumerCallbacks::rebalance);
  rd_kafka_conf_set_log_cb(conf, &ConsumerCallbacks::log);
  rd_kafka_conf_set_error_cb(conf, &ConsumerCallbacks::error);
  rd_kafka_conf_set_opaque(conf, self.get());
  char err[512];
  self->rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  if (!self->rk_) {
    rd_kafka_conf_destroy(conf);
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot create Kafka consumer: {}", err), c.brokers);
  }
  rd_kafka_poll_set_consumer(self->rk_);
  auto* topics = rd_kafka_topic_partition_list_new(static_cast<int>(c.topics.size()));
  for (const auto& t : c.topics) {
    rd_kafka_topic_partition_list_add(topics, t.c_str(), RD_KAFKA_PARTITION_UA);
  }
  auto serr = rd_kafka_subscribe(self->rk_, topics);
  rd_kafka_topic_partition_list_destroy(topics);
  if (serr) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot subscribe: {}", rd_kafka_err2str(serr)), c.brokers);
  }
  return self;
}

KafkaConsumer::~KafkaConsumer() {
  if (!rk_) return;
  if (!closed_) (void)close();
  rd_kafka_destroy(rk_);
}

namespace {
void fill(const rd_kafka_message_t* m, KafkaMessage& out) {
  out.topic = rd_kafka_topic_name(m->rkt);
  out.partition = m->partition;
  out.offset = m->offset;
  out.key.assign(static_cast<const char*>(m->key), m->key ? m->key_len : 0);
  out.value.assign(static_cast<const char*>(m->payload), m->payload ? m->len : 0);
  out.timestamp_ms = rd_kafka_message_timestamp(m, nullptr);
  out.sent_ms.reset();
  out.headers.clear();
  rd_kafka_headers_t* hdrs = nullptr;
  if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR || !hdrs) return;
  const char* name = nullptr;
  const void* val = nullptr;
  size_t size = 0;
  for (size_t i = 0; rd_kafka_header_get_all(hdrs, i, &name, &val, &size) == 0; ++i) {
    std::string v(static_cast<const char*>(val), val ? size : 0);
    if (kSentMsHeader == name) {
      int64_t ms = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), ms);
      if (ec == std::errc() && p == v.data() + v.size()) out.sent_ms = ms;
    }
    out.headers.emplace_back(name, std::move(v));
  }
}
}  // namespace

Result<size_t> KafkaConsumer::poll_batch(std::vector<KafkaMessage>& out, size_t max,
                                         std::chrono::milliseconds wait) {
  if (closed_) return make_error(ErrorCode::kInvalidArgument, "poll on a closed Kafka consumer");
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + wait;
  size_t n = 0;
  while (n < max) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    int timeout = static_cast<int>(std::max<int64_t>(left.count(), 0));
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk_, std::min(timeout, 100));
    if (fatal_) {
      if (m) rd_kafka_message_destroy(m);
      return *fatal_;
    }
    if (!m) {
      if (timeout == 0) break;
      continue;
    }
    if (m->err) {
      if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        std::string where =
            m->rkt ? fmt::format("{}[{}]", rd_kafka_topic_name(m->rkt), m->partition) : "";
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
          char buf[512];
          rd_kafka_fatal_error(rk_, buf, sizeof buf);
          rd_kafka_message_destroy(m);
          return make_error(ErrorCode::kUnavailable, fmt::format("fatal Kafka error: {}", buf),
                            where);
        }
        if (auto fatal = auth_failure(m->err, rd_kafka_message_errstr(m), config_.brokers)) {
          rd_kafka_message_destroy(m);
          return *fatal;
        }
        module_logger("stream")->warn("kafka consumer: {} {}", where, rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
      continue;
    }
    out.emplace_back();
    fill(m, out.back());
    rd_kafka_message_destroy(m);
    ++n;
  }
  return n;
}

Status KafkaConsumer::commit(const std::vector<TopicPartition>& offsets, bool async) {
  if (offsets.empty()) return {};
  auto* list = detail::to_list(offsets);
  auto err = rd_kafka_commit(rk_, list, async ? 1 : 0);
  std::string failed;
  if (!err && !async) {
    for (int i = 0; i < list->cnt; ++i) {
      if (list->elems[i].err) {
        failed += fmt::format(" {}[{}]: {}", list->elems[i].topic, list->elems[i].partition,
                              rd_kafka_err2str(list->elems[i].err));
      }
    }
  }
  rd_kafka_topic_partition_list_destroy(list);
  if (err == RD_KAFKA_RESP_ERR__NO_OFFSET) return {};
  if (err || !failed.empty()) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("offset commit failed:{}",
                                  err ? std::string(" ") + rd_kafka_err2str(err) : failed),
                      fmt::format("group {} {}", config_.group, describe(offsets)));
  }
  return {};
}

std::vector<TopicPartition> KafkaConsumer::next_offsets(const std::vector<KafkaMessage>& messages) {
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const auto& m : messages) {
    auto& v = next[{m.topic, m.partition}];
    v = std::max(v, m.offset + 1);
  }
  std::vector<TopicPartition> out;
  for (const auto& [tp, off] : next) out.push_back(TopicPartition{tp.first, tp.second, off});
  return out;
}

Result<std::vector<TopicPartition>> KafkaConsumer::committed(
    const std::vector<TopicPartition>& partitions, std::chrono::milliseconds timeout) {
  auto* list = detail::to_list(partitions);
  auto err = rd_kafka_committed(rk_, list, static_cast<int>(timeout.count()));
  auto out = detail::to_vector(list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("cannot read committed offsets: {}", rd_kafka_err2str(err)),
                      fmt::format("group {}", config_.group));
  }
  return out;
}

Status KafkaConsumer::pause() {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (auto err = rd_kafka_assignment(rk_, &list); err) {
    return make_error(ErrorCode::kUnavailable, rd_kafka_err2str(err), "pause");
  }
  auto err = rd_kafka_pause_partitions(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return make_error(ErrorCode::kUnavailable, rd_kafka_err2str(err), "pause");
  paused_ = true;
  return {};
}

Status KafkaConsumer::resume() {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (auto err = rd_kafka_assignment(rk_, &list); err) {
    return make_error(ErrorCode::kUnavailable, rd_kafka_err2str(err), "resume");
  }
  auto err = rd_kafka_resume_partitions(rk_, list);
  rd_kafka_topic_partition_list_destroy(list);
  if (err) return make_error(ErrorCode::kUnavailable, rd_kafka_err2str(err), "resume");
  paused_ = false;
  return {};
}

std::vector<TopicPartition> KafkaConsumer::assignment() const {
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return {};
  auto out = detail::to_vector(list);
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

std::vector<PartitionLag> KafkaConsumer::lag() const {
  std::vector<PartitionLag> out;
  rd_kafka_topic_partition_list_t* list = nullptr;
  if (rd_kafka_assignment(rk_, &list) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  rd_kafka_position(rk_, list);
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    PartitionLag pl;
    pl.tp = TopicPartition{e.topic, e.partition, e.offset >= 0 ? e.offset : -1};
    int64_t lo = -1, hi = -1;
    if (rd_kafka_get_watermark_offsets(rk_, e.topic, e.partition, &lo, &hi) == 0 && hi >= 0) {
      pl.high_watermark = hi;
      if (pl.tp.offset >= 0) pl.lag = std::max<int64_t>(0, hi - pl.tp.offset);
    }
    out.push_back(std::move(pl));
  }
  rd_kafka_topic_partition_list_destroy(list);
  return out;
}

int64_t KafkaConsumer::total_lag() const {
  int64_t sum = 0;
  for (const auto& l : lag()) sum += std::max<int64_t>(l.lag, 0);
  return sum;
}

Status KafkaConsumer::close() {
  if (closed_) return {};
  closed_ = true;
  if (auto err = rd_kafka_consumer_close(rk_); err) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("closing the consumer: {}", rd_kafka_err2str(err)),
                      fmt::format("group {}", config_.group));
  }
  return {};
}

}  // namespace flowsentry::stream
