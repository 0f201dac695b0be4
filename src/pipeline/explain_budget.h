// ExplainBudget: how many anomalies the pipeline may explain. TreeSHAP costs milliseconds a
// flow, far more than scoring, so explanations come from a token bucket: `per_second` on
// average, at most one second's worth at once. Not thread-safe (one per pipeline).
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <functional>

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

}  // namespace flowsentry::pipeline
