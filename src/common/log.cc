#include "common/log.h"

#include <algorithm>
#include <mutex>
#include <string>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace flowsentry {
namespace {

std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;

}  // namespace

std::shared_ptr<spdlog::logger> module_logger(std::string_view module) {
  std::lock_guard lock(g_mutex);
  std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_level(g_level);
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v");
  return logger;
}

Status set_log_level(std::string_view level) {
  auto parsed = spdlog::level::from_str(std::string(level));
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (parsed == spdlog::level::off && level != "off") {
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown log level '" + std::string(level) +
                          "' (use trace, debug, info, warn, error or off)");
  }
  std::lock_guard lock(g_mutex);
  g_level = parsed;
  spdlog::apply_all([parsed](const std::shared_ptr<spdlog::logger>& l) { l->set_level(parsed); });
  return {};
}

std::string log_safe(std::string_view text, size_t max) {
  std::string out;
  out.reserve(std::min(text.size(), max) + 8);
  for (size_t i = 0; i < text.size(); ++i) {
    if (out.size() >= max) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c == '\\' || c == '"') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

}  // namespace flowsentry
