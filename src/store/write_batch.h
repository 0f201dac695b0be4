// Checks shared by both backends before a batch is written, and the time helpers retention and
// partitioning use.
#pragma once

#include <span>

#include "common/result.h"
#include "model/verdict.h"

namespace flowsentry::store {

inline constexpr int64_t kSecondsPerDay = 86400;
// 10000-01-01T00:00:00Z: the first time a store cannot name a day partition for.
inline constexpr double kMaxStoredTime = 253402300800.0;

// Every flow needs a finite, non-negative stime and a 0/1 label; the error names the first
// offending record key.
Status check_batch(std::span<const model::ScoredFlow> batch);

// Start of the UTC day holding `t`.
int64_t day_start(double t);

// Everything with stime before this goes when retention runs at `now`.
int64_t retention_cutoff(double now, int retention_days);

}  // namespace flowsentry::store
