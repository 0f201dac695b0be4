#include "detect/noise.h"

#include <algorithm>

namespace flowsentry::detect {

Cooldown::Cooldown(double seconds, size_t max_keys) : seconds_(seconds), max_keys_(max_keys) {}

bool Cooldown::admit(const std::string& key, double now) {
  if (blocked(key, now)) {
    ++suppressed_;
    return false;
  }
  mark(key, now);
  return true;
}

bool Cooldown::blocked(const std::string& key, double now) const {
  auto it = last_.find(key);
  return it != last_.end() && now - it->second < seconds_;
}

void Cooldown::mark(const std::string& key, double now) {
  auto it = last_.find(key);
  if (it != last_.end()) {
    by_time_.erase({it->second, key});
    it->second = now;
  } else {
    if (last_.size() >= max_keys_) forget_oldest(now);
    last_.emplace(key, now);
  }
  by_time_.emplace(now, key);
}

// Keys whose cooldown is over would be admitted anyway: they go first (oldest first, so they
// lead the set). Only when none is over does the least recently marked key lose its cooldown.
void Cooldown::forget_oldest(double now) {
  auto drop_first = [&] {
    last_.erase(by_time_.begin()->second);
    by_time_.erase(by_time_.begin());
  };
  while (!by_time_.empty() && now - by_time_.begin()->first >= seconds_) drop_first();
  if (last_.size() >= max_keys_ && !by_time_.empty()) {
    ++evicted_;
    drop_first();
  }
}

RateLimiter::RateLimiter(double per_minute, double burst)
    : rate_per_s_(per_minute / 60.0), burst_(std::max(1.0, burst)), tokens_(burst_) {}

bool RateLimiter::try_acquire(double now) {
  if (rate_per_s_ <= 0) return true;
  if (last_ >= 0 && now > last_) tokens_ = std::min(burst_, tokens_ + (now - last_) * rate_per_s_);
  last_ = std::max(last_, now);
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

double RateLimiter::wait_seconds(double now) const {
  if (rate_per_s_ <= 0) return 0;
  double tokens = tokens_;
  if (last_ >= 0 && now > last_) tokens = std::min(burst_, tokens + (now - last_) * rate_per_s_);
  return tokens >= 1.0 ? 0.0 : (1.0 - tokens) / rate_per_s_;
}

}  // namespace flowsentry::detect
