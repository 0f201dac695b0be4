#include "pipeline/kafka_worker.h"

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"
#include "common/metrics.h"
#include "pipeline/anomaly_message.h"
#include "pipeline/outbox.h"
#include "pipeline/probe.h"
#include "pipeline/summary_publisher.h"
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

// A subscription sees a topic made after it only at a metadata refresh (minutes once the group
// has partitions of another topic): the alerter makes its topics before the workers' first
// messages. A broker that refuses (no rights) is left to its operator.
void ensure_topic(const Config& c, const std::string& topic) {
  auto props = stream::client_properties(c);  // checked by consumer_config already
  if (auto st = stream::create_topic(c.get_string("kafka.brokers"), topic, 1,
                                     std::chrono::milliseconds(10000),
                                     props.ok() ? *props : stream::KafkaProperties{});
      !st.ok()) {
    log()->warn("cannot create topic {}: {}", topic, st.error().to_string());
  }
}

// A malformed summary message is counted by reason and skipped: the alerter goes on.
void decode_summary_message(const stream::KafkaMessage& m, std::vector<flow::FlowRecord>& out) {
  static uint64_t bad = 0;
  std::string reason;
  if (read_summaries(m.value, out, reason) || ++bad > 10) return;
  log()->warn("{}[{}]@{}: bad flow-summary message: {}{}", m.topic, m.partition, m.offset, reason,
              bad == 10 ? " (no more of these are logged; see /metrics)" : "");
}

// Lag per assigned partition; partitions this worker no longer holds read 0, so a sum over
// the group's workers is the group's lag.
class LagGauges {
 public:
  void publish(const std::vector<stream::PartitionLag>& lags) {
    std::set<std::pair<std::string, int32_t>> now;
    for (const auto& l : lags) {
      now.emplace(l.tp.topic, l.tp.partition);
      gauge(l.tp.topic, l.tp.partition).set(static_cast<double>(std::max<int64_t>(l.lag, 0)));
    }
    for (const auto& [topic, partition] : seen_) {
      if (!now.contains({topic, partition})) gauge(topic, partition).set(0);
    }
    seen_.insert(now.begin(), now.end());
  }

 private:
  static Gauge& gauge(const std::string& topic, int32_t partition) {
    return MetricsRegistry::global().gauge(
        "flowsentry_kafka_consumer_lag",
        "Messages behind the end of each assigned partition (0 once unassigned)",
        {{"topic", topic}, {"partition", std::to_string(partition)}});
  }
  std::set<std::pair<std::string, int32_t>> seen_;
};

void commit_pending(stream::KafkaSource& source) {
  if (auto st = source.commit_pending(); !st.ok()) {
    log()->warn("offset commit failed (the batches are stored; they may be read again): {}",
                st.error().to_string());
  }
}

// Workers publish flow summaries when an alerter runs the target-keyed detectors: role worker
// with a summaries topic (role all runs every detector itself).
bool publishes_summaries(const Config& c) {
  return c.get_string("pipeline.role") == "worker" &&
         !c.get_string("kafka.summaries_topic").empty() && c.get_bool("behaviour.enabled");
}

// The summaries' own producer: its bounded queue fills and drops without holding back the
// anomalies and dead letters, which must be delivered.
struct SummaryChannel {
  std::unique_ptr<stream::KafkaProducer> producer;
  std::unique_ptr<SummaryPublisher> publisher;
};

Result<SummaryChannel> summary_channel(const Config& c) {
  stream::ProducerConfig pc;
  pc.brokers = c.get_string("kafka.brokers");
  pc.client_id = "flowsentry-summaries";
  pc.idempotent = false;  // a duplicate summary costs less than waiting for one
  pc.linger_ms = 20;
  pc.queue_max_messages = c.get_int("kafka.summaries_queue");
  pc.delivery_timeout = std::chrono::milliseconds(10000);
  auto props = stream::client_properties(c);  // TLS and SASL like the other clients
  if (!props.ok()) return props.error();
  pc.extra = std::move(*props);
  auto producer = stream::KafkaProducer::create(pc);
  if (!producer.ok()) return producer.error();
  SummaryChannel ch{std::move(producer.value()), nullptr};
  auto* prod = ch.producer.get();
  const auto topic = c.get_string("kafka.summaries_topic");
  ch.publisher = std::make_unique<SummaryPublisher>(
      [prod, topic](const std::string& key, std::string value, uint64_t records) {
        return prod->produce(topic, key, value, {}, -1, records, std::chrono::milliseconds(0)).ok();
      });
  auto* pub = ch.publisher.get();
  prod->on_delivery([pub](const stream::DeliveryReport& r) {
    if (!r.ok) pub->undelivered(r.opaque);
  });
  return ch;
}

void close_summaries(SummaryChannel& ch) {
  if (!ch.producer) return;
  if (auto f = ch.producer->flush(std::chrono::seconds(2)); !f.ok()) {
    log()->warn("flow summaries not all delivered: {}", f.error().to_string());
  }
  log()->info("flow summaries: {} published, {} dropped", ch.publisher->published(),
              ch.publisher->dropped());
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

Status run_kafka_worker(const Config& c, model::ScorerHandle& models, store::Store& store,
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
  Pipeline pipe(source, models, store, po);
  auto& prod = *producer.value();
  Outbox outbox(prod);
  const auto dlq = c.get_string("kafka.dlq_topic");
  const auto anomalies = c.get_string("kafka.anomalies_topic");
  pipe.set_dead_letter([&](std::vector<stream::Rejected>& rejected) {
    for (const auto& r : rejected) (void)outbox.send(stream::dead_letter_message(dlq, r));
  });
  if (detection) pipe.add_observer([detection](auto batch) { detection->observe(batch); });
  if (also) pipe.add_observer(std::move(also));
  SummaryChannel summaries;
  if (publishes_summaries(c)) {
    auto ch = summary_channel(c);
    if (!ch.ok()) return ch.error();
    summaries = std::move(ch.value());
    pipe.add_observer([&summaries](std::span<const model::ScoredFlow> batch) {
      summaries.publisher->publish(batch);
      summaries.producer->poll();  // delivery reports: failures are counted
    });
  }
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
  LagGauges lag;
  // The batch's dead letters and anomalies first: an unacknowledged one keeps the batch
  // uncommitted, so it is read (and they are sent) again after a restart. Rejected messages
  // count as handled once they are on the dead-letter topic.
  pipe.set_commit_gate([&] { return outbox.settle(stop); });
  pipe.set_commit([&](auto, auto) { lag.publish(source.consumer().lag()); });
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
  close_summaries(summaries);
  auto s = pipe.stats();
  log()->info("worker stopped: {} scored, {} stored, {} rejected", s.scored, s.stored, s.rejected);
  return st;
}

Status run_alerter(const Config& c, DetectionStage& detection, std::atomic<bool>& stop,
                   Pipeline::Observer anomalies) {
  auto cc = consumer_config(c, c.get_string("kafka.anomalies_topic"),
                            c.get_string("kafka.group") + "-alerter");
  if (!cc.ok()) return cc.error();
  const auto summaries_topic = c.get_string("kafka.summaries_topic");
  if (!summaries_topic.empty() && c.get_bool("behaviour.enabled")) {
    cc->topics.push_back(summaries_topic);
  }
  for (const auto& topic : cc->topics) ensure_topic(c, topic);
  auto consumer = stream::KafkaConsumer::create(*cc, on_rebalance);
  if (!consumer.ok()) return consumer.error();
  auto& cons = *consumer.value();
  flow::JsonDecoder decoder;
  std::vector<stream::KafkaMessage> messages;
  std::vector<model::ScoredFlow> batch;
  std::vector<flow::FlowRecord> summaries;
  std::string problem;
  while (!stop) {
    messages.clear();
    auto n = cons.poll_batch(messages, 1000, std::chrono::milliseconds(200));
    if (!n.ok()) return n.error();
    batch.clear();
    summaries.clear();
    for (const auto& m : messages) {
      if (m.topic == summaries_topic) {
        decode_summary_message(m, summaries);
      } else if (auto s = decode_anomaly(m.value, decoder, problem)) {
        batch.push_back(std::move(*s));
      } else {
        Probe::rejected("bad_anomaly_message").inc();
        log()->warn("{}[{}]@{}: not an anomaly message: {}", m.topic, m.partition, m.offset,
                    problem);
      }
    }
    if (!batch.empty()) {
      detection.observe(batch);
      if (anomalies) anomalies(batch);
    }
    if (!summaries.empty()) detection.observe_summaries(summaries);
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
