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
  if (!last_.contains(key) && last_.size() >= max_keys_) {
    // Forget keys whose cooldown is over; they would be admitted anyway.
    std::erase_if(last_, [&](const auto& kv) { return now - kv.second >= seconds_; });
    if (last_.size() >= max_keys_) last_.clear();
  }
  last_[key] = now;
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

}  // namespace flowsentry::detect
