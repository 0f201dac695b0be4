// Noise control for alerts: a cooldown per de-duplication key and a token-bucket rate limit.
// Times are seconds from an injected clock, so tests pin them.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>

namespace flowsentry::detect {

// Admits an alert key at most once per `seconds`. At most `max_keys` keys are remembered: when
// full, keys whose cooldown is over go first, then the least recently marked one (counted in
// evicted()); the map never empties itself, which would let every key through again.
class Cooldown {
 public:
  explicit Cooldown(double seconds, size_t max_keys = 100000);
  // true: send it; false: the same key was admitted less than `seconds` ago.
  bool admit(const std::string& key, double now);
  // The two halves of admit(): would the key be suppressed now, and start its cooldown.
  bool blocked(const std::string& key, double now) const;
  void mark(const std::string& key, double now);
  void count_suppressed() { ++suppressed_; }
  uint64_t suppressed() const { return suppressed_; }
  size_t keys() const { return last_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  void forget_oldest(double now);

  double seconds_;
  size_t max_keys_;
  std::unordered_map<std::string, double> last_;
  std::set<std::pair<double, std::string>> by_time_;  // (marked at, key), oldest first
  uint64_t suppressed_ = 0;
  uint64_t evicted_ = 0;
};

// At most `burst` at once and `per_minute` on average. per_minute <= 0: unlimited.
class RateLimiter {
 public:
  RateLimiter(double per_minute, double burst);
  bool try_acquire(double now);
  // Seconds from `now` until try_acquire() can succeed (0 when it can now).
  double wait_seconds(double now) const;

 private:
  double rate_per_s_;
  double burst_;
  double tokens_;
  double last_ = -1;
};

}  // namespace flowsentry::detect
