// `flowsentry alert-test`: sends one test alert through every configured notifier and prints
// each delivery result. Exit 0 when all delivered, 1 when any failed.
#include <unistd.h>

#include <array>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "detect/dispatcher.h"
#include "detect/options.h"

namespace flowsentry::cli {
namespace {

struct AlertTestOpts {
  std::string config;
  std::string webhook_url;
  std::string slack_url;
};

detect::Alert test_alert() {
  std::array<char, 256> host{};
  gethostname(host.data(), host.size() - 1);
  detect::Alert a;
  a.type = "test";
  a.context = "alert-test";
  a.severity = detect::Severity::kInfo;
  a.time = wall_seconds();
  a.summary = fmt::format("test alert from flowsentry on {}: delivery works", host.data());
  a.payload = {{"host", host.data()},
               {"note", "Sent by `flowsentry alert-test`; no action needed."}};
  return a;
}

int run_alert_test(const AlertTestOpts& o) {
  std::vector<std::string> overrides;
  if (!o.webhook_url.empty()) overrides.push_back("alert.webhook_url=" + o.webhook_url);
  if (!o.slack_url.empty()) overrides.push_back("alert.slack_webhook_url=" + o.slack_url);
  auto config = load_config(o.config, overrides);
  if (!config) return kExitUsage;

  if (config->get_string("alert.slack_webhook_url").empty() &&
      config->get_string("alert.webhook_url").empty()) {
    std::cout << "No notifier configured (alert.slack_webhook_url and alert.webhook_url are "
                 "empty); sending through the log notifier.\n";
  }
  auto options = detect::dispatcher_options(*config);
  options.cooldown_s = 0;
  options.rate_per_min = 0;
  detect::Dispatcher dispatcher(options, detect::notifiers_from_config(*config));

  const auto http = detect::http_options(*config);
  double budget_s = 5;
  for (int i = 0; i < options.max_attempts; ++i) {
    budget_s += http.timeout_s + options.backoff_initial_s * (1 << std::min(i, 10)) * 1.5;
  }
  dispatcher.submit(test_alert());
  if (!dispatcher.flush(std::chrono::milliseconds(static_cast<int64_t>(budget_s * 1000)))) {
    std::cerr << fmt::format("flowsentry alert-test: deliveries still pending after {:.0f} s\n",
                             budget_s);
    return kExitRuntime;
  }
  bool all_ok = true;
  for (const auto& d : dispatcher.log().deliveries()) {
    all_ok = all_ok && d.ok;
    const std::string http_part = d.http_status ? fmt::format("HTTP {}, ", d.http_status) : "";
    if (d.ok) {
      std::cout << fmt::format("{}: delivered ({}{} attempt{})\n", d.notifier, http_part,
                               d.attempts, d.attempts == 1 ? "" : "s");
    } else {
      std::cout << fmt::format("{}: FAILED after {} attempt{}: {}\n", d.notifier, d.attempts,
                               d.attempts == 1 ? "" : "s", d.error);
    }
  }
  return all_ok ? kExitOk : kExitRuntime;
}

}  // namespace

Command add_alert_test_command(CLI::App& root) {
  auto* app =
      root.add_subcommand("alert-test", "Send a test alert through every configured notifier");
  auto opts = std::make_shared<AlertTestOpts>();
  app->add_option("--config", opts->config, "TOML settings file");
  app->add_option("--webhook-url", opts->webhook_url,
                  "Generic JSON webhook URL (overrides alert.webhook_url)");
  app->add_option("--slack-url", opts->slack_url,
                  "Slack incoming-webhook URL (overrides alert.slack_webhook_url)");
  app->footer(
      "Notifiers come from alert.slack_webhook_url and alert.webhook_url (config file,\n"
      "FLOWSENTRY_ALERT_* environment, or the flags above); with none, the log notifier is used.\n"
      "Prints one line per notifier. Exit 0 when every delivery succeeded, 1 otherwise.\n"
      "Retries and timeouts follow alert.max_attempts, alert.backoff_s and alert.timeout_s.");
  return {app, [opts] { return run_alert_test(*opts); }};
}

}  // namespace flowsentry::cli
