#include "pipeline/kafka_worker.h"

#include <vector>

#include <fmt/format.h>

#include "common/log.h"
#include "common/metrics.h"
#include "pipeline/anomaly_message.h"
#include "pipeline/outbox.h"
#include "pipeline/probe.h"
#include "stream/kafka_consumer.h"
#include "stream/kafka_producer.h"
#include "stream/kafka_source.h"

namespace flowsentry::pipeline {
namespace {

auto& log() {
  static auto logger = module_logger("run");
  return logger;
}

Result<stream::ConsumerConfig> consumer_config(const Config& c, const std::string& topic,
                                               const std::string& group) {
  stream::ConsumerConfig cc;
  cc.brokers = c.get_string("kafka.brokers");
  cc.group = group;
  cc.topics = {topic};
  // A store outage holds the worker back without polling; stay in the group meanwhile.
  cc.extra["max.poll.interval.ms"] = "600000";
  auto props = stream::client_properties(c);
  if (!props.ok()) return props.error();
  for (auto& [k, v] : *props) cc.extra[k] = std::move(v);
  return cc;
}

void on_rebalance(const stream::RebalanceEvent& e) {
  std::string parts;
  for (const auto& tp : e.partitions) parts += fmt::format(" {}[{}]", tp.topic, tp.partition);
  log()->info("rebalance: {}{}", stream::rebalance_kind_name(e.kind), parts);
}

void commit_pending(stream::KafkaSource& source) {
  if (auto st = source.commit_pending(); !st.ok()) {
    log()->warn("offset commit failed (the batches are stored; they may be read again): {}",
                st.error().to_string());
  }
}

}  // namespace

PipelineOptions pipeline_options(const Config& config) {
  PipelineOptions o;
  o.batch_size = static_cast<size_t>(config.get_int("pipeline.batch_size"));
  o.batch_wait = std::chrono::milliseconds(config.get_int("pipeline.batch_ms"));
  o.queue_batches = static_cast<size_t>(config.get_int("pipeline.queue_batches"));
  o.explain_top_k = static_cast<int>(config.get_int("pipeline.explain_top_k"));
  o.explain_per_second = config.get_double("pipeline.explain_per_second");
  return o;
}

Status run_kafka_worker(const Config& c, const model::Scorer& scorer, store::Store& store,
                        DetectionStage* detection, std::atomic<bool>& stop, Pipeline*& running,
                        Pipeline::Observer also) {
  // The source commits each stored batch asynchronously so the poll thread does not wait for
  // the broker; before partitions go (and before leaving), a synchronous commit of the last
  // offsets waits for all of them.
  Pipeline* pipe_for_rebalance = nullptr;
  stream::KafkaSource* source_for_rebalance = nullptr;
  auto cc = consumer_config(c, c.get_string("kafka.topic"), c.get_string("kafka.group"));
  if (!cc.ok()) return cc.error();
  auto consumer = stream::KafkaConsumer::create(*cc, [&](const stream::RebalanceEvent& e) {
    on_rebalance(e);
    if (e.kind == stream::RebalanceEvent::Kind::kAssigned || !pipe_for_rebalance) return;
    if (auto st = pipe_for_rebalance->finish_in_flight(); !st.ok()) {
      log()->warn("batch in flight at the rebalance not stored (it will be read again): {}",
                  st.error().to_string());
    }
    if (e.kind == stream::RebalanceEvent::Kind::kRevoked) {
      commit_pending(*source_for_rebalance);
    }
    // Never commit for partitions that may belong to someone else.
    source_for_rebalance->forget_pending();
  });
  if (!consumer.ok()) return consumer.error();
  stream::ProducerConfig pc;
  pc.brokers = c.get_string("kafka.brokers");
  pc.extra = cc->extra;
  pc.extra.erase("max.poll.interval.ms");  // a consumer property
  auto producer = stream::KafkaProducer::create(pc);
  if (!producer.ok()) return producer.error();
  auto format = c.get_string("kafka.format") == "csv" ? stream::MessageFormat::kCsv
                                                      : stream::MessageFormat::kJson;
  stream::KafkaSource source(std::move(consumer.value()), format);

  auto po = pipeline_options(c);
  po.inline_reader = true;
  Pipeline pipe(source, scorer, store, po);
  auto& prod = *producer.value();
  Outbox outbox(prod);
  const auto dlq = c.get_string("kafka.dlq_topic");
  const auto anomalies = c.get_string("kafka.anomalies_topic");
  pipe.set_dead_letter([&](std::vector<stream::Rejected>& rejected) {
    for (const auto& r : rejected) (void)outbox.send(stream::dead_letter_message(dlq, r));
  });
  if (detection) pipe.add_observer([detection](auto batch) { detection->observe(batch); });
  if (also) pipe.add_observer(std::move(also));
  pipe.add_observer([&](std::span<const model::ScoredFlow> batch) {
    for (const auto& f : batch) {
      if (!f.verdict.label) continue;
      (void)outbox.send(
          {anomalies,
           fmt::format("{}/{}/{}", f.flow.key.source, f.flow.key.partition, f.flow.key.offset),
           encode_anomaly(f),
           {},
           -1});
    }
  });
  auto& lag = MetricsRegistry::global().gauge("flowsentry_kafka_consumer_lag",
                                              "Messages behind the end of the assigned partitions");
  // The batch's dead letters and anomalies first: an unacknowledged one keeps the batch
  // uncommitted, so it is read (and they are sent) again after a restart. Rejected messages
  // count as handled once they are on the dead-letter topic.
  pipe.set_commit_gate([&] { return outbox.settle(stop); });
  pipe.set_commit([&](auto, auto) { lag.set(static_cast<double>(source.consumer().total_lag())); });
  running = &pipe;
  pipe_for_rebalance = &pipe;
  source_for_rebalance = &source;
  if (stop) pipe.stop();
  auto st = pipe.run();
  running = nullptr;
  pipe_for_rebalance = nullptr;
  commit_pending(source);
  if (auto closed = source.consumer().close(); !closed.ok()) {
    log()->warn("consumer close: {}", closed.error().to_string());
  }
  if (auto f = prod.flush(std::chrono::seconds(5)); !f.ok()) {
    log()->warn("producer flush: {}", f.error().to_string());
  }
  auto s = pipe.stats();
  log()->info("worker stopped: {} scored, {} stored, {} rejected", s.scored, s.stored, s.rejected);
  return st;
}

Status run_alerter(const Config& c, DetectionStage& detection, std::atomic<bool>& stop) {
  auto cc = consumer_config(c, c.get_string("kafka.anomalies_topic"),
                            c.get_string("kafka.group") + "-alerter");
  if (!cc.ok()) return cc.error();
  auto consumer = stream::KafkaConsumer::create(*cc, on_rebalance);
  if (!consumer.ok()) return consumer.error();
  auto& cons = *consumer.value();
  flow::JsonDecoder decoder;
  std::vector<stream::KafkaMessage> messages;
  std::vector<model::ScoredFlow> batch;
  std::string problem;
  while (!stop) {
    messages.clear();
    auto n = cons.poll_batch(messages, 1000, std::chrono::milliseconds(200));
    if (!n.ok()) return n.error();
    batch.clear();
    for (const auto& m : messages) {
      if (auto s = decode_anomaly(m.value, decoder, problem)) {
        batch.push_back(std::move(*s));
      } else {
        Probe::rejected("bad_anomaly_message").inc();
        log()->warn("{}[{}]@{}: not an anomaly message: {}", m.topic, m.partition, m.offset,
                    problem);
      }
    }
    if (!batch.empty()) detection.observe(batch);
    detection.tick(wall_seconds());
    if (!messages.empty()) {
      if (auto st = cons.commit(stream::KafkaConsumer::next_offsets(messages)); !st.ok()) {
        log()->warn("offset commit failed: {}", st.error().to_string());
      }
    }
  }
  return cons.close();
}

}  // namespace flowsentry::pipeline
