// Each subcommand registers itself on the root app and returns what to run when chosen.
// Exit codes: 0 success, 1 runtime error, 2 usage error.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "common/config.h"

namespace flowsentry::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRuntime = 1;
inline constexpr int kExitUsage = 2;

struct Command {
  CLI::App* app;
  std::function<int()> run;
};

Command add_calibrate_command(CLI::App& root);
Command add_capture_command(CLI::App& root);
Command add_collect_command(CLI::App& root);
Command add_detect_command(CLI::App& root);
Command add_check_command(CLI::App& root);
Command add_config_command(CLI::App& root);
Command add_alert_test_command(CLI::App& root);
Command add_db_command(CLI::App& root);
Command add_produce_command(CLI::App& root);
Command add_train_command(CLI::App& root);
Command add_evaluate_command(CLI::App& root);
Command add_score_command(CLI::App& root);
Command add_bench_command(CLI::App& root);
// `bench pipeline`, under `bench`: `run` returns its exit code, or -1 when it was not chosen.
void add_bench_pipeline(CLI::App& bench, std::function<int()>& run);
Command add_demo_command(CLI::App& root);
Command add_serve_command(CLI::App& root);
Command add_run_command(CLI::App& root);
Command add_models_command(CLI::App& root);

// Registers an artifact in a registry (`train --register`); empty `registry`: model.registry.
// Prints what it did; returns an exit code.
int register_artifact(const std::string& registry, const std::string& artifact_dir,
                      const std::string& parent);

// Loads settings: defaults < `file` (when not empty) < environment < `overrides` ("key=value").
// Prints the error and returns nullopt on failure.
// Also applies log.level and log.format, unless --log-level / --log-format were given
// (pin_log_flags).
std::optional<Config> load_config(const std::string& file,
                                  const std::vector<std::string>& overrides = {});

// Which logging flags the command line set; they win over settings.
void pin_log_flags(bool level, bool format);

}  // namespace flowsentry::cli
