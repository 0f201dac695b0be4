// flowsentry db migrate|status|maintain: apply or show the store's schema migrations, or run its
// housekeeping (retention, partitions ahead) as the role that owns the schema.
#include <chrono>
#include <ctime>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/signals.h"
#include "common/clock.h"
#include "store/maintenance.h"
#include "store/store.h"

namespace flowsentry::cli {
namespace {

struct DbOpts {
  std::string store;
  std::string config;
  std::string format = "text";
  int every_s = 0;  // maintain: repeat every this many seconds (0 = once)
};

std::string utc(double t) {
  std::time_t s = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&s, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

// The store URL: --store, else store.url from --config / environment / default.
std::optional<store::StoreOptions> store_options(const DbOpts& o, bool migrate) {
  auto config = load_config(o.config);
  if (!config) return std::nullopt;
  store::StoreOptions so;
  so.url = o.store.empty() ? config->get_string("store.url") : o.store;
  so.retention_days = static_cast<int>(config->get_int("store.retention_days"));
  so.pool_max = static_cast<int>(config->get_int("store.pool_max"));
  so.feature_sample = config->get_double("store.feature_sample");
  so.keep_features = config->get_bool("store.keep_features");
  so.migrate = migrate;
  return so;
}

int run_status(const DbOpts& o, const char* verb) {
  auto so = store_options(o, false);
  if (!so) return kExitUsage;
  auto s = store::open_store(*so);
  if (!s.ok()) {
    std::cerr << "flowsentry db " << verb << ": " << s.error().to_string() << "\n";
    return kExitRuntime;
  }
  if (std::string_view(verb) == "migrate") {
    // Partitions ahead too, so workers connected as a role without DDL rights can write at once.
    auto st = (*s)->migrate();
    if (st.ok()) st = (*s)->prepare_ahead(wall_seconds());
    if (!st.ok()) {
      std::cerr << "flowsentry db migrate: " << st.error().to_string() << "\n";
      return kExitRuntime;
    }
  }
  auto status = (*s)->migration_status();
  if (!status.ok()) {
    std::cerr << "flowsentry db " << verb << ": " << status.error().to_string() << "\n";
    return kExitRuntime;
  }
  size_t pending = 0;
  for (const auto& m : *status) pending += m.applied ? 0 : 1;
  if (o.format == "json") {
    nlohmann::json j;
    j["backend"] = (*s)->backend();
    j["pending"] = pending;
    j["migrations"] = nlohmann::json::array();
    for (const auto& m : *status) {
      nlohmann::json e{{"version", m.version}, {"name", m.name}, {"applied", m.applied}};
      if (m.applied_at) e["applied_at"] = utc(*m.applied_at);
      j["migrations"].push_back(e);
    }
    std::cout << j.dump() << "\n";
  } else {
    std::cout << fmt::format("backend: {}\n", (*s)->backend());
    for (const auto& m : *status) {
      std::cout << fmt::format("{:>4} {:<24} {}\n", m.version, m.name,
                               m.applied ? "applied " + utc(*m.applied_at) : "pending");
    }
    std::cout << (pending ? fmt::format("{} pending (run: flowsentry db migrate)\n", pending)
                          : std::string("up to date\n"));
  }
  return kExitOk;
}

// Retention and partitions ahead, once or every `every_s` seconds until SIGINT/SIGTERM. Workers
// connected as a role without DDL rights leave both to this command (deploy/postgres/roles.sql).
int run_maintain(const DbOpts& o) {
  auto so = store_options(o, false);
  if (!so) return kExitUsage;
  if (o.every_s > 0) block_signals();
  auto s = store::open_store(*so);
  if (!s.ok()) {
    std::cerr << "flowsentry db maintain: " << s.error().to_string() << "\n";
    return kExitRuntime;
  }
  store::Maintenance maintenance(**s);
  for (;;) {
    auto st = maintenance.run_once();
    if (!st.ok()) std::cerr << "flowsentry db maintain: " << st.error().to_string() << "\n";
    if (o.every_s <= 0) return st.ok() ? kExitOk : kExitRuntime;
    if (wait_for_signal(std::chrono::seconds(o.every_s)) != 0) return kExitOk;
  }
}

}  // namespace

Command add_db_command(CLI::App& root) {
  auto* app = root.add_subcommand("db", "Apply or show the store's schema migrations");
  app->require_subcommand(1);
  auto opts = std::make_shared<DbOpts>();
  auto add_common = [&](CLI::App* sub, bool with_format = true) {
    sub->add_option("--store", opts->store,
                    "Store URL: a SQLite file path, sqlite:PATH or postgresql://... "
                    "(default: store.url from the configuration)");
    sub->add_option("--config", opts->config, "TOML configuration file")->check(CLI::ExistingFile);
    if (!with_format) return;
    sub->add_option("--format", opts->format, "Output format")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
  };
  auto* migrate = app->add_subcommand("migrate", "Apply pending migrations, in order");
  add_common(migrate);
  auto* status = app->add_subcommand("status", "List migrations, applied and pending");
  add_common(status);
  auto* maintain = app->add_subcommand(
      "maintain", "Drop days past store.retention_days and create partitions ahead");
  add_common(maintain, false);
  maintain->add_option("--every", opts->every_s, "Repeat every SECONDS until SIGTERM (0 = once)")
      ->check(CLI::Range(0, 86400))
      ->capture_default_str();
  app->footer(
      "Migrations are the numbered SQL files under src/store/migrations/<backend>/, built into\n"
      "the binary; applied ones are recorded in the schema_migrations table. Opening a store\n"
      "for writing also applies them, so `db migrate` is for deployments that migrate first.\n"
      "`db maintain` is the housekeeping a service runs hourly, for deployments whose workers\n"
      "connect as a role without DDL rights (deploy/postgres/roles.sql): run it as the owner.");
  return {app, [opts, migrate, maintain] {
            if (maintain->parsed()) return run_maintain(*opts);
            return run_status(*opts, migrate->parsed() ? "migrate" : "status");
          }};
}

}  // namespace flowsentry::cli
