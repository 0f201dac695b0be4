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
  // Wake for a millisecond's worth of tokens (at least one): waking for every single token
  // of a fast rate (every 100 us at 10k/s) cost a producer a third of a core in the kernel.
  const double quantum = std::min({std::max(1.0, rate_ / 1000), burst_, static_cast<double>(want)});
  for (;;) {
    auto now = Clock::now();
    refill(now);
    if (tokens_ >= quantum || now >= deadline) return take_at(want, now);
    auto due = now + std::chrono::duration_cast<Clock::duration>(
                         std::chrono::duration<double>((quantum - tokens_) / rate_));
    std::this_thread::sleep_until(std::min(due, deadline));
  }
}

}  // namespace flowsentry::stream
