// CircuitBreaker: stops an output from spending every record's attempts on a destination that
// is down. After `failures` failed attempts in a row the circuit opens for `open_s` seconds,
// during which records are dropped at once (counted by the output); then one probe record is
// let through (half-open): its success closes the circuit, its failure opens it again for
// twice as long (up to `open_max_s`). Times are passed in, so tests need no clock.
#pragma once

#include <chrono>

namespace flowsentry::siem {

class CircuitBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  enum class State { kClosed, kOpen, kHalfOpen };
  struct Options {
    int failures = 5;  // 0 = never open
    double open_s = 10;
    double open_max_s = 300;
  };

  explicit CircuitBreaker(Options o) : opt_(o) {}

  // Whether a record may be tried at `now`. At the end of an open period the first caller
  // gets true (the probe) and the circuit is half-open until success() or failure().
  bool allow(Clock::time_point now);
  // Whether the record being tried is the probe (it gets one attempt).
  bool probing() const { return state_ == State::kHalfOpen; }
  void success();
  // Returns true when this failure opened the circuit.
  bool failure(Clock::time_point now);
  State state() const { return state_; }

 private:
  Options opt_;
  State state_ = State::kClosed;
  int in_a_row_ = 0;
  double open_for_s_ = 0;  // the current open period; doubles after a failed probe
  Clock::time_point until_{};
};

}  // namespace flowsentry::siem
