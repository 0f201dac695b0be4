#include "common/log.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <mutex>
#include <string>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>

namespace flowsentry {
namespace {

constexpr const char* kTextPattern = "%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ [%n] %v";

std::mutex g_mutex;
spdlog::level::level_enum g_level = spdlog::level::info;
bool g_json = false;

// Fields of the line being logged on this thread (loggers are synchronous, so the formatter
// runs on the logging thread).
thread_local const std::initializer_list<LogField>* t_fields = nullptr;

// "2026-12-03T15:20:00.123+00:00": UTC, milliseconds, an explicit offset.
void format_time(spdlog::log_clock::time_point tp, spdlog::memory_buf_t& out) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch());
  const auto t = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  fmt::format_to(std::back_inserter(out), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+00:00",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ms.count() % 1000);
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& out) override {
    auto put = [&out](std::string_view s) { out.append(s.data(), s.data() + s.size()); };
    put(R"({"ts":")");
    format_time(msg.time, out);
    put(R"(","level":")");
    const auto level = spdlog::level::to_string_view(msg.level);
    put(std::string_view(level.data(), level.size()));
    put(R"(","module":")");
    put(json_escape(std::string_view(msg.logger_name.data(), msg.logger_name.size())));
    put(R"(","msg":")");
    put(json_escape(std::string_view(msg.payload.data(), msg.payload.size())));
    put("\"");
    for (const auto& f : t_fields ? *t_fields : std::initializer_list<LogField>{}) {
      put(",\"");
      put(json_escape(f.key));
      put("\":");
      if (f.quoted) put("\"");
      put(f.quoted ? json_escape(f.value) : f.value);
      if (f.quoted) put("\"");
    }
    put("}\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

void apply_format(spdlog::logger& logger) {
  if (g_json) {
    logger.set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger.set_pattern(kTextPattern);
  }
}

}  // namespace

LogField::LogField(std::string_view k, double v)
    : key(k), value(std::isfinite(v) ? fmt::format("{}", v) : "null") {}

std::string json_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += ch;
    }
  }
  return out;
}

Status set_log_format(std::string_view format) {
  if (format != "text" && format != "json") {
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown log format '" + std::string(format) + "' (use text or json)");
  }
  std::lock_guard lock(g_mutex);
  g_json = format == "json";
  spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { apply_format(*l); });
  return {};
}

void log_fields(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view message,
                std::initializer_list<LogField> fields) {
  if (!logger.should_log(level)) return;
  bool json;
  {
    std::lock_guard lock(g_mutex);
    json = g_json;
  }
  if (json) {
    t_fields = &fields;
    logger.log(level, message);
    t_fields = nullptr;
    return;
  }
  std::string line(message);
  for (const auto& f : fields) {
    line += ' ';
    line += f.key;
    line += '=';
    line += f.quoted ? '"' + log_safe(f.value) + '"' : f.value;
  }
  logger.log(level, line);
}

std::shared_ptr<spdlog::logger> module_logger(std::string_view module) {
  std::lock_guard lock(g_mutex);
  std::string name(module);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = spdlog::stderr_color_mt(name);
  logger->set_level(g_level);
  apply_format(*logger);
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
