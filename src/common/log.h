// Logging: one spdlog logger per module ("flow", "model", ...), all writing to stderr, as text
// lines or (log.format = json) one JSON object per line for log shippers:
//   {"ts":"2026-12-03T15:20:00.123+00:00","level":"info","module":"api","msg":"...", fields...}
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/result.h"

namespace flowsentry {

// Returns the module's logger, creating it on first use with the current level.
std::shared_ptr<spdlog::logger> module_logger(std::string_view module);

// Text from the outside (a request path, a header) made safe for one log line: control
// characters, quotes and backslashes escaped, cut at `max` bytes. A CR/LF in a path can then
// not forge a second log line.
std::string log_safe(std::string_view text, size_t max = 200);

// Sets the level of every logger, present and future: trace, debug, info, warn, error, off.
Status set_log_level(std::string_view level);

// Sets the line format of every logger, present and future: "text" or "json".
Status set_log_format(std::string_view format);

// A structured field of a log line: a JSON string or number in json format, key=value in text.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), value(v), quoted(true) {}
  LogField(std::string_view k, const char* v) : LogField(k, std::string_view(v)) {}
  LogField(std::string_view k, const std::string& v) : LogField(k, std::string_view(v)) {}
  LogField(std::string_view k, int64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, int v) : LogField(k, static_cast<int64_t>(v)) {}
  LogField(std::string_view k, uint64_t v) : key(k), value(std::to_string(v)) {}
  LogField(std::string_view k, double v);

  std::string key;
  std::string value;
  bool quoted = false;
};

// Logs `message` with fields: top-level members of the JSON line, or " key=value" appended to
// the text line (string values escaped with log_safe).
void log_fields(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view message,
                std::initializer_list<LogField> fields);

// `text` as the body of a JSON string (quotes, backslashes and control characters escaped).
std::string json_escape(std::string_view text);

}  // namespace flowsentry
