#include <signal.h>

#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/service.h"
#include "cli/signals.h"
#include "common/log.h"

namespace flowsentry::cli {
namespace {

struct ServeOpts {
  std::string model;
  std::string registry;
  std::string store;
  int port = -1;
  std::string config_file;
  std::vector<std::string> set;
  bool insecure_no_token = false;
};

int run_serve(const ServeOpts& o) {
  auto set = o.set;
  if (o.insecure_no_token) set.emplace_back("api.insecure_no_token=true");
  if (!o.model.empty()) set.push_back("model.path=" + o.model);
  if (!o.registry.empty()) set.push_back("model.registry=" + o.registry);
  auto config = load_config(o.config_file, set);
  if (!config) return kExitUsage;
  block_signals(true);  // SIGHUP: check the model registry now
  Service service(*config);
  auto fail = [](const Status& st) {
    std::cerr << "flowsentry serve: " << st.error().to_string() << "\n";
    return kExitRuntime;
  };
  if (auto st = service.load_models(); !st.ok()) return fail(st);
  if (!o.store.empty()) {
    if (auto st = service.open_store(o.store); !st.ok()) return fail(st);
  }
  service.start_reloading();
  if (auto st = service.start_detection(); !st.ok()) return fail(st);
  int port = o.port >= 0 ? o.port : static_cast<int>(config->get_int("api.port"));
  if (auto st = service.start_api(port); !st.ok()) return fail(st);
  std::cerr << fmt::format("flowsentry serve: {}://{}:{}/ (Ctrl-C to stop)\n", service.api_scheme(),
                           config->get_string("api.host"), service.api_port());
  for (;;) {
    int sig = wait_for_signal(std::chrono::seconds(1));
    if (sig == SIGHUP) {
      service.reload_model();
    } else if (sig) {
      break;
    }
  }
  service.stop_api();
  return kExitOk;
}

}  // namespace

Command add_serve_command(CLI::App& root) {
  auto* app =
      root.add_subcommand("serve", "Serve the HTTP API (scoring, and queries with --store)");
  auto o = std::make_shared<ServeOpts>();
  app->add_option("--model", o->model,
                  "Model artifact directory (model.path, default models/default), used while "
                  "the registry has no active version");
  app->add_option("--registry", o->registry,
                  "Model registry folder (model.registry, default models/registry): its active "
                  "version is served, and a promotion is picked up without a restart (SIGHUP: "
                  "at once)");
  app->add_option("--store", o->store,
                  "Store URL for the dashboard queries (SQLite path or "
                  "postgresql://...); without it only scoring is served");
  app->add_option("--port", o->port, "HTTP port (default: the api.port setting, 8080)")
      ->check(CLI::Range(0, 65535));
  app->add_option("--config", o->config_file, "TOML settings file")->check(CLI::ExistingFile);
  app->add_option("--set", o->set, "Override a setting, KEY=VALUE (repeatable)");
  app->add_flag("--insecure-no-token", o->insecure_no_token,
                "Allow an empty api.token on a non-loopback api.host (api.insecure_no_token); "
                "anyone who reaches the port can then use the API");
  return {app, [o] { return run_serve(*o); }};
}

}  // namespace flowsentry::cli
