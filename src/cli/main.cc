#include <cstdio>
#include <iostream>
#include <vector>

#include "cli/commands.h"
#include "common/log.h"
#include "common/version.h"
#include "stream/capture_reader.h"
#include "stream/zeek_reader.h"

namespace fs = flowsentry;

int main(int argc, char** argv) {
  // Every --data accepts packet captures (pcap, pcapng), metered into flows.
  fs::stream::register_capture_format();
  // ... and Zeek conn.log (TSV or JSON lines, gzip or plain).
  fs::stream::register_zeek_format();
  CLI::App app{
      "flowsentry: real-time network anomaly detection.\n"
      "Scores network flows with a trained model, stores every verdict, watches for drift and\n"
      "bursts of anomalies, and serves a live dashboard.",
      "flowsentry"};
  app.set_version_flag("--version", std::string("flowsentry ") + fs::kVersion);
  app.require_subcommand(1);
  std::string log_level = "info";
  auto* level_flag =
      app.add_option("--log-level", log_level, "trace, debug, info, warn, error or off (log.level)")
          ->capture_default_str();
  std::string log_format = "text";
  auto* format_flag = app.add_option("--log-format", log_format,
                                     "text, or json: one JSON object per line (log.format)")
                          ->check(CLI::IsMember({"text", "json"}))
                          ->capture_default_str();

  std::vector<fs::cli::Command> commands{
      fs::cli::add_demo_command(app),     fs::cli::add_run_command(app),
      fs::cli::add_serve_command(app),    fs::cli::add_check_command(app),
      fs::cli::add_config_command(app),   fs::cli::add_db_command(app),
      fs::cli::add_produce_command(app),  fs::cli::add_train_command(app),
      fs::cli::add_evaluate_command(app), fs::cli::add_score_command(app),
      fs::cli::add_bench_command(app),    fs::cli::add_alert_test_command(app),
      fs::cli::add_capture_command(app),  fs::cli::add_calibrate_command(app),
      fs::cli::add_detect_command(app),   fs::cli::add_collect_command(app),
      fs::cli::add_models_command(app),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return fs::cli::kExitUsage;
  }
  if (auto st = fs::set_log_level(log_level); !st.ok()) {
    std::cerr << "flowsentry: " << st.error().to_string() << "\n";
    return fs::cli::kExitUsage;
  }
  (void)fs::set_log_format(log_format);  // IsMember checked it
  fs::cli::pin_log_flags(level_flag->count() > 0, format_flag->count() > 0);
  for (const auto& c : commands) {
    if (c.app->parsed()) return c.run();
  }
  return fs::cli::kExitUsage;
}
