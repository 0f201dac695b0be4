// FileSource: replays a flow file (flow::FlowReader: CSV, JSON lines, captures, Zeek conn.log) as a
// Source, optionally at a fixed rate and in a loop. Keys are (path, pass, line): pass counts the
// loops from 0, so a looped replay never repeats a key.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "flow/reader.h"
#include "stream/rate_limiter.h"
#include "stream/source.h"

namespace flowsentry::stream {

struct FileSourceOptions {
  double eps = 0;            // events per second, 0 = as fast as asked
  bool loop = false;         // start again at the end
  uint64_t max_records = 0;  // stop after this many valid records, 0 = no limit
  // Follow a growing Zeek conn.log (`tail -F`: rotation and truncation survived); the source
  // never ends. Only Zeek logs can be followed.
  bool follow = false;
};

class FileSource final : public Source {
 public:
  static Result<std::unique_ptr<FileSource>> open(const std::string& path,
                                                  FileSourceOptions options = {});

  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override;
  bool at_end() const override { return at_end_; }
  void take_rejected(std::vector<Rejected>& out) override;
  std::string describe() const override;
  const flow::Profile& profile() const override { return reader_->profile(); }

  uint64_t records() const { return records_; }
  uint64_t rejected() const { return rejected_total_; }
  int64_t pass() const { return pass_; }

 private:
  FileSource(std::string path, FileSourceOptions options, std::unique_ptr<flow::FlowReader> r)
      : path_(std::move(path)), options_(options), reader_(std::move(r)), limiter_(options.eps) {}

  std::string path_;
  FileSourceOptions options_;
  std::unique_ptr<flow::FlowReader> reader_;
  RateLimiter limiter_;
  std::vector<Rejected> rejected_;
  uint64_t records_ = 0;
  uint64_t rejected_total_ = 0;
  int64_t pass_ = 0;
  bool valid_in_pass_ = false;
  bool at_end_ = false;
};

}  // namespace flowsentry::stream
