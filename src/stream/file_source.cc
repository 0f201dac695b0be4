#include "stream/file_source.h"

#include <fmt/format.h>

namespace flowsentry::stream {

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path,
                                                     FileSourceOptions options) {
  auto r = flow::open_flow_file(path);
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
  while (added < allowed) {
    auto n = reader_->next(rec, problem);
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
  return fmt::format("file {}{}{}", path_, options_.loop ? " (loop)" : "",
                     options_.eps > 0 ? fmt::format(" at {} flows/s", options_.eps) : "");
}

}  // namespace flowsentry::stream
