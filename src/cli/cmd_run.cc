// flowsentry run: the production process. Roles (their loops are in pipeline/kafka_worker.h):
//   worker   Kafka `flows` -> score -> store -> commit; publishes anomalies and flow summaries;
//            drift and source-keyed behaviour detectors per worker
//   alerter  Kafka `anomalies` -> burst rule -> notifications (one per deployment: global alerts);
//            Kafka `flow_summaries` -> flood per target, ARP reply storm (kafka.summaries_topic)
//   all      worker with the burst rule and notifications in the same process
// SIEM outputs: a worker forwards its normal verdicts and the alerter the anomalous ones it reads
// from the anomalies topic (each once, from one place); role all and --data forward both.
// `--data` makes the worker read a flow file instead of Kafka (`--follow`: a growing Zeek
// conn.log, surviving rotation, never ending).
#include <signal.h>

#include <atomic>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/service.h"
#include "cli/signals.h"
#include "common/log.h"
#include "flow/profile.h"
#include "pipeline/kafka_worker.h"

namespace flowsentry::cli {
namespace {

struct RunOpts {
  std::string config_file;
  std::vector<std::string> set;
  bool insecure_no_token = false;
  std::string brokers, topic, group, store, model, registry, role;
  int port = -1;
  std::string data;
  bool follow = false;
};

auto& log() {
  static auto logger = module_logger("run");
  return logger;
}

// The worker on a file source instead of Kafka: read, score, store, detect, until the source
// ends (a followed log never does) or `stop`.
Status run_source(const Config& config, Service& service, const RunOpts& o, std::atomic<bool>& stop,
                  pipeline::Pipeline*& running) {
  auto source = open_source(o.data, 0, false, o.follow);
  if (!source.ok()) return source.error();
  if (auto st = flow::check_source_fills(service.scorer()->meta().features.profile(),
                                         (*source)->profile(), (*source)->describe());
      !st) {
    return st;
  }
  log()->info("worker reading {}", (*source)->describe());
  pipeline::Pipeline pipe(**source, service.models(), *service.store(),
                          pipeline::pipeline_options(config));
  if (auto* detection = service.detection()) {
    pipe.add_observer([detection](auto batch) { detection->observe(batch); });
  }
  if (auto siem = service.siem_observer()) pipe.add_observer(std::move(siem));
  pipe.set_dead_letter([](std::vector<stream::Rejected>& rejected) {
    for (const auto& r : rejected) {
      log()->warn("rejected {}:{}: {} {} ({})", r.key.source, r.key.offset, r.problem.field,
                  r.problem.problem, r.problem.reason);
    }
  });
  running = &pipe;
  if (stop) pipe.stop();
  auto st = pipe.run();
  running = nullptr;
  return st;
}

// With a summaries topic, workers keep the source-keyed detectors and the alerter runs the
// target-keyed ones on every worker's flow summaries; role all, and a worker reading a file
// (it publishes no summaries), run everything themselves.
detect::BehaviourScope behaviour_scope(const Config& config, bool file_source) {
  const auto role = config.get_string("pipeline.role");
  if (role == "all" || file_source || config.get_string("kafka.summaries_topic").empty()) {
    return detect::BehaviourScope::kAll;
  }
  return role == "worker" ? detect::BehaviourScope::kSourceKeyed
                          : detect::BehaviourScope::kTargetKeyed;
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
  flag(o.registry, "model.registry");
  flag(o.role, "pipeline.role");
  if (o.port >= 0) flag(std::to_string(o.port), "api.port");
  if (o.insecure_no_token) flag("true", "api.insecure_no_token");
  auto config = load_config(o.config_file, set);
  if (!config) return kExitUsage;
  const auto role = config->get_string("pipeline.role");
  const bool worker = role != "alerter";
  block_signals(worker);  // SIGHUP: check the registry for a new model now
  Service service(*config);
  auto fail = [](const Status& st) {
    std::cerr << "flowsentry run: " << st.error().to_string() << "\n";
    return kExitRuntime;
  };
  if (worker) {
    if (auto st = service.load_models(); !st.ok()) return fail(st);
  }
  if (auto st = service.open_store(config->get_string("store.url")); !st.ok()) return fail(st);
  service.start_reloading();
  if (auto st = service.start_detection(role != "worker", worker,
                                        behaviour_scope(*config, !o.data.empty()));
      !st.ok()) {
    return fail(st);
  }
  if (auto st = service.start_api(static_cast<int>(config->get_int("api.port"))); !st.ok()) {
    return fail(st);
  }
  log()->info("role {}: api on port {}", role, service.api_port());

  std::atomic<bool> stop{false};
  pipeline::Pipeline* running = nullptr;
  Status result;
  if (!o.data.empty() && !worker) {
    std::cerr << "flowsentry run: --data needs role worker or all\n";
    return kExitUsage;
  }
  std::thread main_loop([&] {
    result = !o.data.empty() ? run_source(*config, service, o, stop, running)
             : worker ? pipeline::run_kafka_worker(*config, service.models(), *service.store(),
                                                   service.detection(), stop, running,
                                                   service.siem_observer(role == "worker"))
                      : pipeline::run_alerter(*config, *service.detection(), stop,
                                              service.siem_observer());
    stop = true;
  });
  while (!stop) {
    int sig = wait_for_signal(std::chrono::milliseconds(500));
    if (sig == SIGHUP) {
      log()->info("SIGHUP: checking the model registry");
      service.reload_model();
    } else if (sig) {
      log()->info("signal {}: finishing the batch in flight, committing, leaving the group", sig);
      stop = true;
      if (running) running->stop();
    } else if (worker && service.detection()) {
      service.detection()->tick(wall_seconds());
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
  app->add_option("--model", o->model,
                  "Model artifact directory (model.path), used while the registry has no active "
                  "version");
  app->add_option("--registry", o->registry,
                  "Model registry folder (model.registry): its active version is scored, and a "
                  "promotion is picked up without a restart");
  app->add_option("--port", o->port, "HTTP port for health, metrics and the API (api.port)")
      ->check(CLI::Range(0, 65535));
  app->add_option("--data", o->data,
                  "Score a flow file (any format --data reads elsewhere) instead of Kafka");
  app->add_flag("--follow", o->follow,
                "With --data: follow a growing Zeek conn.log (tail -F: survives rotation and "
                "truncation), never ending")
      ->needs(app->get_option("--data"));
  app->footer(
      "Every setting can also come from the TOML file or FLOWSENTRY_<SECTION>_<KEY>; flags win.\n"
      "SIGINT/SIGTERM: stop consuming, finish the batch in flight, store, commit, exit 0.\n"
      "SIGHUP: check the model registry (or re-read model.path) now; a new model scores from "
      "the next batch.");
  return {app, [o] { return run_run(*o); }};
}

}  // namespace flowsentry::cli
