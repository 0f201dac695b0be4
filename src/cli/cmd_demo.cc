#include <filesystem>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/service.h"
#include "cli/signals.h"
#include "common/log.h"
#include "flow/profile.h"
#include "pipeline/probe.h"
#include "stream/time_shift.h"

namespace flowsentry::cli {
namespace {

constexpr const char* kDatasetTest = "../shared/datasets/unsw-nb15/test.csv";

struct DemoOpts {
  int port = 8080;
  std::string data;
  std::string db = "flowsentry-demo.db";
  double eps = 500;
  bool once = false;
  bool follow = false;
  std::string model = "models/default";
  std::string config_file;
  std::vector<std::string> set;
  bool insecure_no_token = false;
};

int run_demo(const DemoOpts& o) {
  auto set = o.set;
  if (o.insecure_no_token) set.emplace_back("api.insecure_no_token=true");
  auto config = load_config(o.config_file, set);
  if (!config) return kExitUsage;
  auto log = module_logger("demo");
  std::string data = o.data;
  if (data.empty()) {
    data = std::filesystem::exists(kDatasetTest) ? kDatasetTest : "generator:attack";
    log->info("no --data given: replaying {}", data);
  }
  std::string model = o.model;
  if (data.starts_with("ipfix://") && model == "models/default" &&
      std::filesystem::exists("models/netflow")) {
    // Exports carry the netflow profile's fields only; the default model needs more.
    model = "models/netflow";
    log->info("--data {}: scoring with {}", data, model);
  }
  block_signals();
  Service service(*config);
  auto fail = [&](const Status& st) {
    std::cerr << "flowsentry demo: " << st.error().to_string() << "\n";
    return kExitRuntime;
  };
  if (auto st = service.load_model(model); !st.ok()) return fail(st);
  if (auto st = service.open_store(o.db); !st.ok()) return fail(st);
  if (auto st = service.start_detection(); !st.ok()) return fail(st);
  auto source = open_source(data, o.eps, !o.once, o.follow);
  if (!source.ok()) return fail(source.error());
  if (auto st = flow::check_source_fills(service.scorer()->meta().features.profile(),
                                         (*source)->profile(), (*source)->describe());
      !st) {
    return fail(st);
  }
  if (!data.starts_with("generator") && !data.starts_with("iface:") &&
      !data.starts_with("ipfix://") && !o.follow) {
    // A recorded file replays as if now, keeping its intervals (flows without times, such as
    // the UNSW CSVs, are stamped when read, which is now too).
    *source = std::make_unique<stream::TimeShiftSource>(std::move(*source), wall_seconds);
  }

  auto popts = pipeline::pipeline_options(*config);
  pipeline::Pipeline pipe(**source, service.models(), *service.store(), popts);
  auto* detection = service.detection();
  pipe.add_observer([detection](auto batch) { detection->observe(batch); });
  if (auto siem = service.siem_observer()) pipe.add_observer(std::move(siem));
  pipe.set_dead_letter([&log](std::vector<stream::Rejected>& rejected) {
    for (const auto& r : rejected) {
      log->warn("rejected {}:{}: {} {}", r.key.source, r.key.offset, r.problem.field,
                r.problem.problem);
    }
  });

  auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  };
  auto status = [&pipe, detection, &elapsed] {
    auto s = pipe.stats();
    auto j = detection->status();
    j["received"] = s.received;
    j["rejected"] = s.rejected;
    j["scored_per_second"] = elapsed() > 0 ? static_cast<double>(s.scored) / elapsed() : 0.0;
    j["latency_p95_ms"] = pipeline::Probe::get().end_to_end_seconds.quantile(0.95) * 1000;
    return j;
  };
  if (auto st = service.start_api(o.port, status); !st.ok()) return fail(st);
  std::cerr << fmt::format("flowsentry demo: dashboard on {}://{}:{}/ (Ctrl-C to stop)\n",
                           service.api_scheme(), config->get_string("api.host"),
                           service.api_port());

  Status result;
  std::thread runner([&] { result = pipe.run(); });
  int sig = 0;
  auto last_print = std::chrono::steady_clock::now();
  while (!(sig = wait_for_signal(std::chrono::milliseconds(500)))) {
    detection->tick(wall_seconds());
    if (std::chrono::steady_clock::now() - last_print > std::chrono::seconds(10)) {
      last_print = std::chrono::steady_clock::now();
      log->info("{}", progress_line(pipe.stats(), elapsed()));
    }
  }
  log->info("signal {} received: finishing the batches in flight", sig);
  pipe.stop();
  runner.join();
  service.stop_api();
  log->info("stopped: {}", progress_line(pipe.stats(), elapsed()));
  if (!result.ok()) return fail(result);
  return kExitOk;
}

}  // namespace

Command add_demo_command(CLI::App& root) {
  auto* app = root.add_subcommand(
      "demo", "Everything in one process: replay flows, score, store, detect, serve the dashboard");
  auto o = std::make_shared<DemoOpts>();
  app->add_option("--port", o->port, "HTTP port for the API and dashboard (0 = any free port)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  app->add_option(
      "--data", o->data,
      "CSV, JSON-lines or pcap/pcapng file to replay (its times shifted to now, intervals kept), "
      "iface:NAME to score a live interface (root or CAP_NET_RAW), ipfix://HOST:PORT to collect "
      "IPFIX/NetFlow from routers (scored with models/netflow unless --model is given), or "
      "generator:normal|attack|drift[:SEED] (default: the UNSW-NB15 test set when present, else "
      "generator:attack)");
  app->add_option("--db", o->db, "SQLite file for the verdicts")->capture_default_str();
  app->add_option("--eps", o->eps, "Flows per second to replay (0 = as fast as possible)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1e7));
  app->add_flag("--once", o->once, "Replay the file once, then keep serving");
  app->add_flag("--follow", o->follow,
                "Follow a growing Zeek conn.log (tail -F: survives rotation and truncation); "
                "its flows keep their own times");
  app->add_option("--model", o->model, "Model artifact directory")->capture_default_str();
  app->add_option("--config", o->config_file, "TOML settings file")->check(CLI::ExistingFile);
  app->add_option("--set", o->set, "Override a setting, KEY=VALUE (repeatable)");
  app->add_flag("--insecure-no-token", o->insecure_no_token,
                "Allow an empty api.token on a non-loopback api.host (api.insecure_no_token); "
                "anyone who reaches the port can then use the API");
  return {app, [o] { return run_demo(*o); }};
}

}  // namespace flowsentry::cli
