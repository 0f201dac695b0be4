// Logging: one spdlog logger per module ("flow", "model", ...), all writing to stderr.
#pragma once

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

}  // namespace flowsentry
