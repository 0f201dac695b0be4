// ExplainBudget: how many anomalies the pipeline may explain. An explanation costs several
// times a flow's scoring, so explanations come from a token bucket: `per_second` on average,
// at most one second's worth at once, which bounds their CPU under a flood of anomalies. Not
// thread-safe (one per pipeline).
// ExplainFloor: the few explanations made whatever the budget.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>

namespace flowsentry::pipeline {

class ExplainBudget {
 public:
  using Clock = std::function<double()>;  // seconds, monotonic

  explicit ExplainBudget(double per_second, Clock clock = steady_seconds)
      : per_second_(std::max(0.0, per_second)),
        tokens_(per_second_),
        clock_(std::move(clock)),
        last_(clock_()) {}

  // Explanations the next batch may have.
  size_t take() {
    const double now = clock_();
    tokens_ = std::min(per_second_, tokens_ + (now - last_) * per_second_);
    last_ = now;
    return static_cast<size_t>(std::floor(tokens_));
  }
  void spend(size_t n) { tokens_ = std::max(0.0, tokens_ - static_cast<double>(n)); }

  static double steady_seconds() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
  }

 private:
  double per_second_;
  double tokens_;
  Clock clock_;
  double last_;
};

// The floor under the budget: in every 10 s of event time (the store's rollup buckets), the
// highest-scoring anomaly, or one with its score, is explained. So the top flow of a
// dashboard window has an explanation, at about one explanation per 10 s instead of one per
// batch. Not thread-safe (one per pipeline).
class ExplainFloor {
 public:
  static constexpr double kBucketSeconds = 10;
  static constexpr size_t kBuckets = 360;  // an hour of event time remembered

  static int64_t bucket(double stime) {
    return static_cast<int64_t>(std::floor(stime / kBucketSeconds));
  }
  // True when an anomaly at `stime` scoring `score` beats every explanation of its bucket.
  bool needs(double stime, double score) const {
    auto it = best_.find(bucket(stime));
    return it == best_.end() || score > it->second;
  }
  void explained(double stime, double score) {
    auto [it, added] = best_.try_emplace(bucket(stime), score);
    if (!added) it->second = std::max(it->second, score);
    while (best_.size() > kBuckets) best_.erase(best_.begin());
  }

 private:
  std::map<int64_t, double> best_;  // bucket -> highest explained score
};

}  // namespace flowsentry::pipeline
