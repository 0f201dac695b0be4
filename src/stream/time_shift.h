// TimeShiftSource: replays a recorded source "as if now". The first flow with an stime moves to
// the wall clock and every later flow's stime and ltime move by the same amount, so the
// intervals between flows (and each flow's duration) stay as recorded. Each pass of a looped
// file (a new key partition) starts at the clock again. `demo` uses it for captures and flow
// files with times; `capture`, `score` and offline analysis keep the original times.
#pragma once

#include <functional>
#include <memory>
#include <optional>

#include "stream/source.h"

namespace flowsentry::stream {

class TimeShiftSource final : public Source {
 public:
  TimeShiftSource(std::unique_ptr<Source> inner, std::function<double()> clock);

  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override;
  bool at_end() const override { return inner_->at_end(); }
  void take_rejected(std::vector<Rejected>& out) override { inner_->take_rejected(out); }
  std::string describe() const override { return inner_->describe() + " (times shifted to now)"; }
  std::span<const int64_t> sent_ms() const override { return inner_->sent_ms(); }

 private:
  std::unique_ptr<Source> inner_;
  std::function<double()> clock_;
  std::optional<double> offset_;
  int64_t pass_ = 0;
};

}  // namespace flowsentry::stream
