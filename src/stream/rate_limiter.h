// RateLimiter: a token bucket that lets `per_second` events through on average, in bursts of at
// most `burst` (default: a tenth of a second's worth, at least one). Not thread-safe.
#pragma once

#include <chrono>
#include <cstddef>

namespace flowsentry::stream {

class RateLimiter {
 public:
  using Clock = std::chrono::steady_clock;

  // per_second <= 0 means unlimited.
  explicit RateLimiter(double per_second, double burst = 0);

  // Takes up to `want` tokens available now and returns how many were taken.
  size_t take(size_t want) { return take_at(want, Clock::now()); }
  // Like take(), but sleeps (at most `max_wait`) until a millisecond's worth of tokens (at
  // least one) is there, so fast rates wake the caller about once a millisecond.
  size_t acquire(size_t want, std::chrono::milliseconds max_wait);

  // For tests: the same with an explicit clock reading.
  size_t take_at(size_t want, Clock::time_point now);

  bool unlimited() const { return rate_ <= 0; }
  double rate() const { return rate_; }

 private:
  void refill(Clock::time_point now);

  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_;
};

}  // namespace flowsentry::stream
