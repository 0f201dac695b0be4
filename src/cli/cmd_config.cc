#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "common/redact.h"

namespace flowsentry::cli {

Command add_config_command(CLI::App& root) {
  auto* app = root.add_subcommand("config", "Print the default configuration or the effective one");
  struct Opts {
    bool defaults = false;
    std::string file;
    std::vector<std::string> set;
  };
  auto opts = std::make_shared<Opts>();
  app->add_flag("--defaults", opts->defaults,
                "Print a fully commented TOML file with every setting at its default");
  app->add_option("--config", opts->file, "TOML file to check and show")->check(CLI::ExistingFile);
  app->add_option("--set", opts->set, "Override a setting, KEY=VALUE (repeatable)");
  app->footer(
      "Without --defaults, validates the file, environment and overrides and prints each\n"
      "effective value with where it came from. Secrets are masked.");
  return {app, [opts] {
            if (opts->defaults) {
              std::cout << render_default_toml();
              return kExitOk;
            }
            auto config = load_config(opts->file, opts->set);
            if (!config) return kExitUsage;
            for (const auto& s : all_settings()) {
              auto name = s.name();
              std::string value;
              switch (s.type) {
                case SettingType::kBool:
                  value = config->get_bool(name) ? "true" : "false";
                  break;
                case SettingType::kInt:
                  value = std::to_string(config->get_int(name));
                  break;
                case SettingType::kDouble:
                  value = fmt::format("{}", config->get_double(name));
                  break;
                case SettingType::kString:
                  value = s.secret && !config->get_string(name).empty()
                              ? "\"***\""
                              : fmt::format("\"{}\"", redact_url(config->get_string(name)));
                  break;
                case SettingType::kTable:
                  // Keys shown, values masked: passthrough properties may hold passwords.
                  for (const auto& [k, v] : config->get_table(name)) {
                    value += fmt::format("{}\"{}\" = \"***\"", value.empty() ? "" : ", ", k);
                  }
                  value = "{" + value + "}";
                  break;
              }
              std::cout << fmt::format("{:<32} = {:<24} # {}\n", name, value, config->origin(name));
            }
            return kExitOk;
          }};
}

}  // namespace flowsentry::cli
