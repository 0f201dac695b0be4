#include "stream/memory_source.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

namespace flowsentry::stream {

MemorySource::MemorySource(std::vector<flow::FlowRecord> flows, MemorySourceOptions options)
    : flows_(std::move(flows)), options_(std::move(options)), limiter_(options_.eps) {}

Result<size_t> MemorySource::next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                                        std::chrono::milliseconds wait) {
  if (flows_.empty() || at_end()) return size_t{0};
  if (options_.count > 0) max = std::min<uint64_t>(max, options_.count - seq_);
  const size_t n = limiter_.acquire(max, wait);
  const double now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  for (size_t i = 0; i < n; ++i, ++seq_) {
    out.push_back(flows_[seq_ % flows_.size()]);
    out.back().key = {options_.name, 0, static_cast<int64_t>(seq_)};
    out.back().stime = now;
  }
  return n;
}

bool MemorySource::at_end() const {
  return flows_.empty() || (options_.count > 0 && seq_ >= options_.count);
}

std::string MemorySource::describe() const {
  return fmt::format("{} ({} flows in memory){}", options_.name, flows_.size(),
                     options_.eps > 0 ? fmt::format(" at {} flows/s", options_.eps) : "");
}

}  // namespace flowsentry::stream
