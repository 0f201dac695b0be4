#include "stream/time_shift.h"

namespace flowsentry::stream {

TimeShiftSource::TimeShiftSource(std::unique_ptr<Source> inner, std::function<double()> clock)
    : inner_(std::move(inner)), clock_(std::move(clock)) {}

Result<size_t> TimeShiftSource::next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                                           std::chrono::milliseconds wait) {
  const size_t first = out.size();
  auto n = inner_->next_batch(out, max, wait);
  if (!n.ok()) return n;
  for (size_t i = first; i < out.size(); ++i) {
    auto& f = out[i];
    if (!f.stime) continue;  // the pipeline stamps it with the read time
    if (!offset_ || f.key.partition != pass_) {
      offset_ = clock_() - *f.stime;
      pass_ = f.key.partition;
    }
    *f.stime += *offset_;
    if (f.ltime) *f.ltime += *offset_;
  }
  return n;
}

}  // namespace flowsentry::stream
