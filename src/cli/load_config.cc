#include <cstdlib>
#include <iostream>

#include "cli/commands.h"
#include "cli/flow_output.h"
#include "common/log.h"
#include "stream/zeek_reader.h"

namespace flowsentry::cli {
namespace {

bool g_level_pinned = false;
bool g_format_pinned = false;

}  // namespace

bool add_kafka_settings(FlowOutputOptions& out, const std::string& config_file,
                        const std::vector<std::string>& set, const char* command) {
  if (out.brokers.empty()) return true;
  auto config = load_config(config_file, set);
  if (!config) return false;
  auto props = stream::client_properties(*config);
  if (!props.ok()) {
    std::cerr << "flowsentry " << command << ": " << props.error().to_string() << "\n";
    return false;
  }
  out.kafka_properties = std::move(*props);
  return true;
}

void pin_log_flags(bool level, bool format) {
  g_level_pinned = level;
  g_format_pinned = format;
}

std::optional<Config> load_config(const std::string& file,
                                  const std::vector<std::string>& overrides) {
  Config config;
  auto fail = [](const Error& e) {
    std::cerr << "flowsentry: configuration error: " << e.to_string() << "\n";
    return std::nullopt;
  };
  if (!file.empty()) {
    if (auto st = config.merge_toml_file(file); !st.ok()) return fail(st.error());
  }
  if (auto st = config.merge_env([](const char* name) { return std::getenv(name); }); !st.ok()) {
    return fail(st.error());
  }
  for (const auto& kv : overrides) {
    auto eq = kv.find('=');
    if (eq == std::string::npos) {
      return fail(make_error(ErrorCode::kInvalidArgument, "expected KEY=VALUE", kv));
    }
    if (auto st = config.set(kv.substr(0, eq), kv.substr(eq + 1)); !st.ok()) {
      return fail(st.error());
    }
  }
  // Zeek logs are opened by content wherever a flow file is, so their settings apply globally.
  stream::ZeekOptions zeek;
  zeek.link_header_bytes = static_cast<int>(config.get_int("zeek.link_header_bytes"));
  zeek.max_join_entries = static_cast<size_t>(config.get_int("zeek.max_join_entries"));
  stream::register_zeek_format(zeek);
  // The choices were checked by Config::set.
  if (!g_level_pinned) (void)set_log_level(config.get_string("log.level"));
  if (!g_format_pinned) (void)set_log_format(config.get_string("log.format"));
  return config;
}

}  // namespace flowsentry::cli
