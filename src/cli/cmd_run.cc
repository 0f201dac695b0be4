// flowsentry run: the production process. Roles:
//   worker   Kafka `flows` -> score -> store -> commit; publishes anomalies; drift per worker
//   alerter  Kafka `anomalies` -> burst rule -> notifications (one per deployment: global alerts)
//   all      worker with the burst rule and notifications in the same process
#include <algorithm>
#include <atomic>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/service.h"
#include "cli/signals.h"
#include "common/log.h"
#include "common/metrics.h"
#include "pipeline/anomaly_message.h"
#include "pipeline/probe.h"
#include "stream/kafka_consumer.h"
#include "stream/kafka_producer.h"
#include "stream/kafka_source.h"

namespace flowsentry::cli {
namespace {

struct RunOpts {
  std::string config_file;
  std::vector<std::string> set;
  bool insecure_no_token = false;
  std::string brokers, topic, group, store, model, role;
  int port = -1;
};

auto& log() {
  static auto logger = module_logger("run");
  return logger;
}

stream::ConsumerConfig consumer_config(const Config& c, const std::string& topic,
                                       const std::string& group) {
  stream::ConsumerConfig cc;
  cc.brokers = c.get_string("kafka.brokers");
  cc.group = group;
  cc.topics = {topic};
  // A store outage holds the worker back without polling; stay in the group meanwhile.
  cc.extra["max.poll.interval.ms"] = "600000";
  return cc;
}

void on_rebalance(const stream::RebalanceEvent& e) {
  std::string parts;
  for (const auto& tp : e.partitions) parts += fmt::format(" {}[{}]", tp.topic, tp.partition);
  log()->info("rebalance: {}{}", stream::rebalance_kind_name(e.kind), parts);
}

// Scores `flows` from Kafka until stopped. The consumer is polled and committed from this
// thread; the pipeline scores and stores one batch on its helper thread meanwhile, and commits
// follow the store. Before partitions go, the batch in flight is stored and committed.
Status run_worker(const Config& c, Service& service, pipeline::Pipeline*& running,
                  std::atomic<bool>& stop) {
  // Batches are committed asynchronously so the poll thread does not wait for the broker;
  // before partitions go (and before leaving), a synchronous commit of the last offsets waits
  // for all of them.
  pipeline::Pipeline* pipe_for_rebalance = nullptr;
  stream::KafkaSource* source_for_rebalance = nullptr;
  std::vector<stream::TopicPartition> last_commit;
  auto commit_now = [&](stream::KafkaConsumer& consumer) {
    if (last_commit.empty()) return;
    if (auto st = consumer.commit(last_commit); !st.ok()) {
      log()->warn("offset commit failed (the batches are stored; they may be read again): {}",
                  st.error().to_string());
    }
  };
  auto consumer = stream::KafkaConsumer::create(
      consumer_config(c, c.get_string("kafka.topic"), c.get_string("kafka.group")),
      [&](const stream::RebalanceEvent& e) {
        on_rebalance(e);
        if (e.kind == stream::RebalanceEvent::Kind::kAssigned || !pipe_for_rebalance) return;
        if (auto st = pipe_for_rebalance->finish_in_flight(); !st.ok()) {
          log()->warn("batch in flight at the rebalance not stored (it will be read again): {}",
                      st.error().to_string());
        }
        if (e.kind == stream::RebalanceEvent::Kind::kRevoked) {
          commit_now(source_for_rebalance->consumer());
        }
        last_commit.clear();  // never commit for partitions that may belong to someone else
      });
  if (!consumer.ok()) return consumer.error();
  stream::ProducerConfig pc;
  pc.brokers = c.get_string("kafka.brokers");
  auto producer = stream::KafkaProducer::create(pc);
  if (!producer.ok()) return producer.error();
  auto format = c.get_string("kafka.format") == "csv" ? stream::MessageFormat::kCsv
                                                      : stream::MessageFormat::kJson;
  stream::KafkaSource source(std::move(consumer.value()), format);

  auto po = pipeline_options(c);
  po.inline_reader = true;
  pipeline::Pipeline pipe(source, *service.scorer(), *service.store(), po);
  auto& prod = *producer.value();
  const auto dlq = c.get_string("kafka.dlq_topic");
  const auto anomalies = c.get_string("kafka.anomalies_topic");
  pipe.set_dead_letter([&](std::vector<stream::Rejected>& rejected) {
    for (const auto& r : rejected) {
      if (auto st = prod.produce_dead_letter(dlq, r); !st.ok()) {
        log()->error("dead-letter produce failed: {}", st.error().to_string());
      }
    }
  });
  auto* detection = service.detection();
  pipe.add_observer([detection](auto batch) { detection->observe(batch); });
  pipe.add_observer([&](std::span<const model::ScoredFlow> batch) {
    for (const auto& f : batch) {
      if (!f.verdict.label) continue;
      auto key =
          fmt::format("{}/{}/{}", f.flow.key.source, f.flow.key.partition, f.flow.key.offset);
      if (auto st = prod.produce(anomalies, key, pipeline::encode_anomaly(f)); !st.ok()) {
        log()->error("anomalies produce failed: {}", st.error().to_string());
      }
    }
    prod.poll();
  });
  auto& lag = MetricsRegistry::global().gauge("flowsentry_kafka_consumer_lag",
                                              "Messages behind the end of the assigned partitions");
  pipe.set_commit([&](std::span<const model::ScoredFlow> batch,
                      std::span<const flow::RecordKey> rejected) {
    // Rejected messages of the batch count as handled too: they went to the dead-letter topic.
    std::vector<flow::RecordKey> keys(rejected.begin(), rejected.end());
    keys.reserve(batch.size() + rejected.size());
    for (const auto& f : batch) keys.push_back(f.flow.key);
    const auto offsets = stream::offsets_after(keys);
    for (const auto& tp : offsets) {
      auto same = [&](const auto& o) { return o.topic == tp.topic && o.partition == tp.partition; };
      auto it = std::find_if(last_commit.begin(), last_commit.end(), same);
      if (it == last_commit.end()) {
        last_commit.push_back(tp);
      } else {
        it->offset = std::max(it->offset, tp.offset);
      }
    }
    if (auto st = source.consumer().commit(offsets, /*async=*/true); !st.ok()) {
      log()->warn("offset commit failed (the batch is stored; it may be read again): {}",
                  st.error().to_string());
    }
    lag.set(static_cast<double>(source.consumer().total_lag()));
  });
  running = &pipe;
  pipe_for_rebalance = &pipe;
  source_for_rebalance = &source;
  if (stop) pipe.stop();
  auto st = pipe.run();
  running = nullptr;
  pipe_for_rebalance = nullptr;
  commit_now(source.consumer());
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

// Consumes the `anomalies` topic and runs the burst rule: alerts are global across workers.
Status run_alerter(const Config& c, Service& service, std::atomic<bool>& stop) {
  auto consumer =
      stream::KafkaConsumer::create(consumer_config(c, c.get_string("kafka.anomalies_topic"),
                                                    c.get_string("kafka.group") + "-alerter"),
                                    on_rebalance);
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
      if (auto s = pipeline::decode_anomaly(m.value, decoder, problem)) {
        batch.push_back(std::move(*s));
      } else {
        pipeline::Probe::rejected("bad_anomaly_message").inc();
        log()->warn("{}[{}]@{}: not an anomaly message: {}", m.topic, m.partition, m.offset,
                    problem);
      }
    }
    if (!batch.empty()) service.detection()->observe(batch);
    service.detection()->tick(pipeline::now_seconds());
    if (!messages.empty()) {
      if (auto st = cons.commit(stream::KafkaConsumer::next_offsets(messages)); !st.ok()) {
        log()->warn("offset commit failed: {}", st.error().to_string());
      }
    }
  }
  return cons.close();
}

int run_run(RunOpts o) {
  std::vector<std::string> set = o.set;
  auto flag = [&](const std::string& value, const char* key) {
    if (!value.empty()) set.push_back(std::string(key) + "=" + value);
  };
  flag(o.brokers, "kafka.brokers");
  flag(o.topic, "kafka.topic");
  flag(o.group, "kafka.group");
  flag(o.store, "store.url");
  flag(o.model, "model.path");
  flag(o.role, "pipeline.role");
  if (o.port >= 0) flag(std::to_string(o.port), "api.port");
  if (o.insecure_no_token) flag("true", "api.insecure_no_token");
  auto config = load_config(o.config_file, set);
  if (!config) return kExitUsage;
  const auto role = config->get_string("pipeline.role");
  block_signals();
  Service service(*config);
  auto fail = [](const Status& st) {
    std::cerr << "flowsentry run: " << st.error().to_string() << "\n";
    return kExitRuntime;
  };
  const bool worker = role != "alerter";
  if (worker) {
    if (auto st = service.load_model(config->get_string("model.path")); !st.ok()) return fail(st);
  }
  if (auto st = service.open_store(config->get_string("store.url")); !st.ok()) return fail(st);
  if (auto st = service.start_detection(role != "worker", worker); !st.ok()) return fail(st);
  if (auto st = service.start_api(static_cast<int>(config->get_int("api.port"))); !st.ok()) {
    return fail(st);
  }
  log()->info("role {}: api on port {}", role, service.api_port());

  std::atomic<bool> stop{false};
  pipeline::Pipeline* running = nullptr;
  Status result;
  std::thread main_loop([&] {
    result =
        worker ? run_worker(*config, service, running, stop) : run_alerter(*config, service, stop);
    stop = true;
  });
  while (!stop) {
    if (int sig = wait_for_signal(std::chrono::milliseconds(500))) {
      log()->info("signal {}: finishing the batch in flight, committing, leaving the group", sig);
      stop = true;
      if (running) running->stop();
    } else if (worker && service.detection()) {
      service.detection()->tick(pipeline::now_seconds());
    }
  }
  if (running) running->stop();
  main_loop.join();
  service.stop_api();
  if (!result.ok()) return fail(result);
  return kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& root) {
  auto* app = root.add_subcommand("run", "Run a worker, the alerter, or both, on Kafka");
  auto o = std::make_shared<RunOpts>();
  app->add_option("--config", o->config_file, "TOML settings file")->check(CLI::ExistingFile);
  app->add_option("--set", o->set, "Override a setting, KEY=VALUE (repeatable)");
  app->add_flag("--insecure-no-token", o->insecure_no_token,
                "Allow an empty api.token on a non-loopback api.host (api.insecure_no_token); "
                "anyone who reaches the port can then use the API");
  app->add_option("--role", o->role, "worker, alerter or all (pipeline.role)")
      ->check(CLI::IsMember({"worker", "alerter", "all"}));
  app->add_option("--brokers", o->brokers, "Kafka bootstrap servers (kafka.brokers)");
  app->add_option("--topic", o->topic, "Topic with the flows (kafka.topic)");
  app->add_option("--group", o->group, "Consumer group (kafka.group)");
  app->add_option("--store", o->store, "Store URL: SQLite path or postgresql://... (store.url)");
  app->add_option("--model", o->model, "Model artifact directory (model.path)");
  app->add_option("--port", o->port, "HTTP port for health, metrics and the API (api.port)")
      ->check(CLI::Range(0, 65535));
  app->footer(
      "Every setting can also come from the TOML file or FLOWSENTRY_<SECTION>_<KEY>; flags win.\n"
      "SIGINT/SIGTERM: stop consuming, finish the batch in flight, store, commit, exit 0.");
  return {app, [o] { return run_run(*o); }};
}

}  // namespace flowsentry::cli
