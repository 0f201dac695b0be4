#include "stream/file_source.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "stream/zeek_reader.h"

namespace flowsentry::stream {

namespace {

// A followed file may not exist yet, or be empty; one that has content must be a Zeek log.
Result<std::unique_ptr<flow::FlowReader>> open_followed(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::file_size(path, ec) > 0 && !ec && !looks_like_zeek_conn(path)) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--follow reads Zeek conn.log files (TSV or JSON lines) only", path);
  }
  return open_zeek_conn(path, zeek_options(), true);
}

}  // namespace

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path,
                                                     FileSourceOptions options) {
  auto r = options.follow ? open_followed(path) : flow::open_flow_file(path);
  if (!r.ok()) return r.error();
  return std::unique_ptr<FileSource>(new FileSource(path, options, std::move(r.value())));
}

Result<size_t> FileSource::next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                                      std::chrono::milliseconds wait) {
  if (at_end_ || max == 0) return size_t{0};
  if (options_.max_records > 0) max = std::min<uint64_t>(max, options_.max_records - records_);
  const size_t allowed = limiter_.acquire(max, wait);
  size_t added = 0;
  flow::FlowRecord rec;
  flow::FieldProblem problem;
  bool waited = false;
  while (added < allowed) {
    auto n = reader_->next(rec, problem);
    if (n == flow::FlowReader::Next::kEnd && options_.follow) {
      // Nothing new yet: wait a little once, so a caller polling in a loop does not spin.
      if (added > 0 || waited) break;
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(100)));
      waited = true;
      continue;
    }
    if (n == flow::FlowReader::Next::kEnd) {
      // A loop over a file with no valid row would spin forever; end instead.
      if (!options_.loop || !valid_in_pass_) {
        at_end_ = true;
        break;
      }
      auto r = flow::open_flow_file(path_);
      if (!r.ok()) return r.error();
      reader_ = std::move(r.value());
      ++pass_;
      valid_in_pass_ = false;
      continue;
    }
    flow::RecordKey key{path_, pass_, reader_->line()};
    if (n == flow::FlowReader::Next::kInvalid) {
      ++rejected_total_;
      rejected_.push_back(Rejected{std::move(key), {}, std::move(problem)});
      continue;
    }
    rec.key = std::move(key);
    out.push_back(std::move(rec));
    rec = flow::FlowRecord{};
    ++added;
    ++records_;
    valid_in_pass_ = true;
  }
  if (options_.max_records > 0 && records_ >= options_.max_records) at_end_ = true;
  return added;
}

void FileSource::take_rejected(std::vector<Rejected>& out) {
  for (auto& r : rejected_) out.push_back(std::move(r));
  rejected_.clear();
}

std::string FileSource::describe() const {
  return fmt::format("file {}{}{}{}", path_, options_.loop ? " (loop)" : "",
                     options_.follow ? " (follow)" : "",
                     options_.eps > 0 ? fmt::format(" at {} flows/s", options_.eps) : "");
}

}  // namespace flowsentry::stream
