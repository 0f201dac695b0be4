// Logging: one spdlog logger per module ("flow", "model", ...), all writing to stderr.
#pragma once

#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

#include "common/result.h"

namespace flowsentry {

// Returns the module's logger, creating it on first use with the current level.
std::shared_ptr<spdlog::logger> module_logger(std::string_view module);

// Sets the level of every logger, present and future: trace, debug, info, warn, error, off.
Status set_log_level(std::string_view level);

}  // namespace flowsentry
