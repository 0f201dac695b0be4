// The wall clock, once: seconds since the Unix epoch (UTC) as double, the unit FlowRecord::stime,
// alerts and the store use. Code that must be testable takes a clock function and defaults to
// this one.
#pragma once

#include <chrono>

namespace flowsentry {

inline double wall_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace flowsentry
