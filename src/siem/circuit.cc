#include "siem/circuit.h"

#include <algorithm>

namespace flowsentry::siem {

bool CircuitBreaker::allow(Clock::time_point now) {
  if (state_ != State::kOpen) return true;
  if (now < until_) return false;
  state_ = State::kHalfOpen;
  return true;
}

void CircuitBreaker::success() {
  state_ = State::kClosed;
  in_a_row_ = 0;
  open_for_s_ = 0;
}

bool CircuitBreaker::failure(Clock::time_point now) {
  if (opt_.failures <= 0) return false;
  ++in_a_row_;
  if (state_ == State::kHalfOpen) {
    open_for_s_ = std::min(open_for_s_ * 2, opt_.open_max_s);
  } else if (in_a_row_ >= opt_.failures) {
    open_for_s_ = std::min(opt_.open_s, opt_.open_max_s);
  } else {
    return false;
  }
  state_ = State::kOpen;
  until_ =
      now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(open_for_s_));
  return true;
}

}  // namespace flowsentry::siem
