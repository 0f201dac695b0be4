#include "stream/rate_limiter.h"

#include <algorithm>
#include <cmath>
#include <thread>

namespace flowsentry::stream {

RateLimiter::RateLimiter(double per_second, double burst)
    : rate_(per_second),
      burst_(burst > 0 ? burst : std::max(1.0, per_second / 10)),
      tokens_(0),
      last_(Clock::now()) {}

void RateLimiter::refill(Clock::time_point now) {
  if (now <= last_) return;
  double dt = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + dt * rate_);
  last_ = now;
}

size_t RateLimiter::take_at(size_t want, Clock::time_point now) {
  if (unlimited()) return want;
  refill(now);
  auto n = static_cast<size_t>(std::min(std::floor(tokens_), static_cast<double>(want)));
  tokens_ -= static_cast<double>(n);
  return n;
}

size_t RateLimiter::acquire(size_t want, std::chrono::milliseconds max_wait) {
  if (unlimited() || want == 0) return want;
  const auto deadline = Clock::now() + max_wait;
  for (;;) {
    auto now = Clock::now();
    if (size_t n = take_at(want, now); n > 0) return n;
    if (now >= deadline) return 0;
    // Sleep until one token is due, but not past the deadline.
    auto due = now + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>((1.0 - tokens_) / rate_));
    std::this_thread::sleep_until(std::min(due, deadline));
  }
}

}  // namespace flowsentry::stream
