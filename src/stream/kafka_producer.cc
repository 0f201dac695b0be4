#include "stream/kafka_producer.h"

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "stream/message.h"

namespace flowsentry::stream {

struct ProducerCallbacks {
  static void delivery(rd_kafka_t*, const rd_kafka_message_t* m, void* opaque) {
    auto* self = static_cast<KafkaProducer*>(opaque);
    DeliveryReport r;
    r.topic = m->rkt ? rd_kafka_topic_name(m->rkt) : "";
    r.partition = m->partition;
    r.offset = m->offset;
    r.ok = m->err == RD_KAFKA_RESP_ERR_NO_ERROR;
    if (!r.ok) r.error = rd_kafka_err2str(m->err);
    r.opaque = reinterpret_cast<uintptr_t>(m->_private);
    self->record(r);
  }
  static void error(rd_kafka_t*, int err, const char* reason, void* opaque) {
    static_cast<KafkaProducer*>(opaque)->client_error(err, reason);
  }
  static void log(const rd_kafka_t*, int level, const char* fac, const char* buf) {
    auto logger = module_logger("stream");
    logger->log(level <= 3   ? spdlog::level::err
                : level <= 5 ? spdlog::level::warn
                             : spdlog::level::debug,
                "kafka producer {}: {}", fac, buf);
  }
};

void KafkaProducer::record(const DeliveryReport& r) {
  if (r.ok) {
    ++delivered_;
  } else {
    ++failed_;
    std::lock_guard lock(error_mu_);
    last_error_ = fmt::format("{} [{}]: {}", r.topic, r.partition, r.error);
  }
  if (on_delivery_) on_delivery_(r);
}

void KafkaProducer::client_error(int err, const char* reason) {
  if (auto fatal = auth_failure(err, reason, brokers_)) {
    std::lock_guard lock(error_mu_);
    if (!fatal_) module_logger("stream")->error("kafka producer: {}", fatal->to_string());
    if (!fatal_) fatal_ = std::move(fatal);
    return;
  }
  module_logger("stream")->warn("kafka producer: {}", reason);
}

std::optional<Error> KafkaProducer::fatal_error() const {
  std::lock_guard lock(error_mu_);
  return fatal_;
}

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::create(const ProducerConfig& c) {
  if (c.brokers.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no Kafka brokers given (kafka.brokers)");
  }
  std::unique_ptr<KafkaProducer> self(new KafkaProducer());
  self->brokers_ = c.brokers;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  KafkaProperties props{
      {"bootstrap.servers", c.brokers},
      {"client.id", c.client_id},
      {"enable.idempotence", c.idempotent ? "true" : "false"},
      {"linger.ms", std::to_string(c.linger_ms)},
      {"compression.codec", c.compression},
      {"queue.buffering.max.messages", std::to_string(c.queue_max_messages)},
      {"message.timeout.ms", std::to_string(c.delivery_timeout.count())},
      {"batch.num.messages", "10000"},
  };
  for (const auto& [k, v] : c.extra) props[k] = v;
  if (auto st = detail::apply_properties(conf, props); !st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st.error();
  }
  rd_kafka_conf_set_dr_msg_cb(conf, &ProducerCallbacks::delivery);
  rd_kafka_conf_set_error_cb(conf, &ProducerCallbacks::error);
  rd_kafka_conf_set_log_cb(conf, &ProducerCallbacks::log);
  rd_kafka_conf_set_opaque(conf, self.get());
  char err[512];
  self->rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!self->rk_) {
    rd_kafka_conf_destroy(conf);
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot create Kafka producer: {}", err), c.brokers);
  }
  return self;
}

KafkaProducer::~KafkaProducer() {
  if (!rk_) return;
  // Give queued messages a short chance; whoever cares about them called flush() already.
  rd_kafka_flush(rk_, 2000);
  rd_kafka_destroy(rk_);
}

Status KafkaProducer::produce(std::string_view topic, std::string_view key, std::string_view value,
                              const Headers& headers, int32_t partition, uint64_t opaque,
                              std::chrono::milliseconds queue_wait) {
  return produce_at(topic, key, value, headers, partition, opaque, queue_wait, -1);
}

Status KafkaProducer::send(const OutMessage& m, uint64_t opaque,
                           std::chrono::milliseconds queue_wait) {
  return produce_at(m.topic, m.key, m.value, m.headers, -1, opaque, queue_wait, m.timestamp_ms);
}

Status KafkaProducer::produce_at(std::string_view topic, std::string_view key,
                                 std::string_view value, const Headers& headers, int32_t partition,
                                 uint64_t opaque, std::chrono::milliseconds queue_wait,
                                 int64_t timestamp_ms) {
  const auto deadline = std::chrono::steady_clock::now() + queue_wait;
  const std::string topic_str(topic);
  for (;;) {
    if (auto fatal = fatal_error()) return *fatal;
    rd_kafka_headers_t* hdrs = nullptr;
    if (!headers.empty()) {
      hdrs = rd_kafka_headers_new(headers.size());
      for (const auto& [k, v] : headers) {
        rd_kafka_header_add(hdrs, k.data(), static_cast<ssize_t>(k.size()), v.data(),
                            static_cast<ssize_t>(v.size()));
      }
    }
    // RD_KAFKA_V_VALUE takes a non-const pointer but with MSG_F_COPY only reads it.
    auto err = rd_kafka_producev(
        rk_, RD_KAFKA_V_TOPIC(topic_str.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_VALUE(const_cast<char*>(value.data()), value.size()),
        RD_KAFKA_V_KEY(key.empty() ? nullptr : key.data(), key.size()), RD_KAFKA_V_HEADERS(hdrs),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(opaque)),
        RD_KAFKA_V_TIMESTAMP(timestamp_ms > 0 ? timestamp_ms : 0), RD_KAFKA_V_END);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return {};
    if (hdrs) rd_kafka_headers_destroy(hdrs);  // not taken over on failure
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_poll(rk_, 10);  // room appears as delivery reports are served
      continue;
    }
    return make_error(
        err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? ErrorCode::kUnavailable
                                             : ErrorCode::kInvalidArgument,
        fmt::format("cannot queue message: {}{}", rd_kafka_err2str(err),
                    err == RD_KAFKA_RESP_ERR__QUEUE_FULL ? " (is the broker reachable?)" : ""),
        fmt::format("topic {} @ {}", topic, brokers_));
  }
}

OutMessage dead_letter_message(std::string_view topic, const Rejected& rejected) {
  const auto& p = rejected.problem;
  OutMessage m{std::string(topic), rejected.message_key, rejected.bytes, rejected.headers,
               rejected.timestamp_ms};
  m.headers.emplace_back(kReasonHeader, p.reason);
  m.headers.emplace_back(kProblemHeader, p.field.empty() ? p.problem : p.field + ": " + p.problem);
  m.headers.emplace_back(kOriginHeader, format_origin(rejected.key));
  return m;
}

Status KafkaProducer::produce_dead_letter(std::string_view topic, const Rejected& rejected) {
  return send(dead_letter_message(topic, rejected));
}

void KafkaProducer::poll(std::chrono::milliseconds wait) {
  rd_kafka_poll(rk_, static_cast<int>(wait.count()));
}

Status KafkaProducer::flush(std::chrono::milliseconds timeout) {
  // In slices, so an authentication failure reported meanwhile ends the wait.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto err = RD_KAFKA_RESP_ERR__TIMED_OUT;
  while (err == RD_KAFKA_RESP_ERR__TIMED_OUT && !fatal_error()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    err = rd_kafka_flush(rk_, static_cast<int>(std::clamp<int64_t>(left.count(), 0, 100)));
    if (left.count() <= 0) break;
  }
  if (auto fatal = fatal_error()) return *fatal;
  const uint64_t failed_now = failed_.load();
  const uint64_t new_failures = failed_now - failed_at_last_flush_;
  failed_at_last_flush_ = failed_now;
  if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) {
    return make_error(
        ErrorCode::kTimeout,
        fmt::format("{} messages still undelivered after {} ms", in_flight(), timeout.count()),
        brokers_);
  }
  if (new_failures > 0) {
    return make_error(ErrorCode::kUnavailable,
                      fmt::format("{} messages failed; last: {}", new_failures, last_error()),
                      brokers_);
  }
  return {};
}

uint64_t KafkaProducer::in_flight() const {
  return static_cast<uint64_t>(rd_kafka_outq_len(rk_));
}

std::string KafkaProducer::last_error() const {
  std::lock_guard lock(error_mu_);
  return last_error_;
}

Status create_topic(const std::string& brokers, const std::string& topic, int partitions,
                    std::chrono::milliseconds timeout, const KafkaProperties& extra) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  KafkaProperties props = extra;
  props["bootstrap.servers"] = brokers;
  if (auto st = detail::apply_properties(conf, props); !st.ok()) {
    rd_kafka_conf_destroy(conf);
    return st;
  }
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    rd_kafka_conf_destroy(conf);
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("cannot create Kafka client: {}", err));
  }
  rd_kafka_NewTopic_t* nt = rd_kafka_NewTopic_new(topic.c_str(), partitions, 1, err, sizeof err);
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk);
  rd_kafka_AdminOptions_t* opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_operation_timeout(opts, static_cast<int>(timeout.count()), err,
                                              sizeof err);
  rd_kafka_CreateTopics(rk, &nt, 1, opts, q);
  Status result = make_error(
      ErrorCode::kTimeout,
      fmt::format("no answer to create topic {} within {} ms", topic, timeout.count()), brokers);
  if (rd_kafka_event_t* ev = rd_kafka_queue_poll(q, static_cast<int>(timeout.count()) + 1000)) {
    if (rd_kafka_event_error(ev)) {
      result = make_error(
          ErrorCode::kUnavailable,
          fmt::format("create topic {}: {}", topic, rd_kafka_event_error_string(ev)), brokers);
    } else {
      size_t n = 0;
      const rd_kafka_topic_result_t** res =
          rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      auto e = n > 0 ? rd_kafka_topic_result_error(res[0]) : RD_KAFKA_RESP_ERR_NO_ERROR;
      if (e == RD_KAFKA_RESP_ERR_NO_ERROR || e == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        result = {};
      } else {
        result = make_error(
            ErrorCode::kUnavailable,
            fmt::format("create topic {}: {}", topic, rd_kafka_topic_result_error_string(res[0])),
            brokers);
      }
    }
    rd_kafka_event_destroy(ev);
  }
  rd_kafka_AdminOptions_destroy(opts);
  rd_kafka_NewTopic_destroy(nt);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return result;
}

}  // namespace flowsentry::stream
