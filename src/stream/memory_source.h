// MemorySource: flows held in memory, replayed in a loop at a fixed rate (token bucket), for
// benchmarks that must not measure a reader. Keys are (name, 0, sequence); stime is the time the
// flow was read. Not thread-safe (one reader, as every Source).
#pragma once

#include <string>
#include <vector>

#include "stream/rate_limiter.h"
#include "stream/source.h"

namespace flowsentry::stream {

struct MemorySourceOptions {
  std::string name = "memory";
  double eps = 0;      // flows per second, 0 = as fast as asked
  uint64_t count = 0;  // stop after this many flows, 0 = endless
};

class MemorySource final : public Source {
 public:
  MemorySource(std::vector<flow::FlowRecord> flows, MemorySourceOptions options);

  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override;
  bool at_end() const override;
  void take_rejected(std::vector<Rejected>&) override {}
  std::string describe() const override;

  uint64_t sent() const { return seq_; }

 private:
  std::vector<flow::FlowRecord> flows_;
  MemorySourceOptions options_;
  RateLimiter limiter_;
  uint64_t seq_ = 0;
};

}  // namespace flowsentry::stream
