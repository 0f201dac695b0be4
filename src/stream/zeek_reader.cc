#include "stream/zeek_reader.h"

#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "meter/features.h"
#include "stream/line_input.h"
#include "stream/zeek_join.h"

namespace flowsentry::stream {
namespace {

constexpr size_t kPeekBytes = 4096;

ZeekOptions& registered_options() {
  static ZeekOptions options;
  return options;
}

// The side log for `kind` ("http", "ftp") beside a conn log: the same name with `kind` for its
// leading "conn" (rotated names such as conn.2026-12-03-14-00-00.log.gz), else kind.log(.gz).
std::string side_log(const std::string& conn_path, std::string_view kind) {
  namespace fs = std::filesystem;
  const fs::path p(conn_path);
  const std::string name = p.filename().string();
  std::vector<std::string> names;
  if (name.starts_with("conn")) names.push_back(std::string(kind) + name.substr(4));
  names.push_back(fmt::format("{}.log", kind));
  names.push_back(fmt::format("{}.log.gz", kind));
  names.push_back(fmt::format("{}.json", kind));
  for (const auto& n : names) {
    std::error_code ec;
    const fs::path candidate = p.parent_path() / n;
    if (fs::is_regular_file(candidate, ec)) return candidate.string();
  }
  return {};
}

class ZeekConnReader final : public flow::FlowReader {
 public:
  ZeekConnReader(std::string path, std::unique_ptr<LineInput> in, std::unique_ptr<AppLogJoin> join,
                 const ZeekOptions& options)
      : path_(std::move(path)),
        in_(std::move(in)),
        join_(std::move(join)),
        options_(options),
        parser_(conn_field_names(), kConnRequired) {}

  ~ZeekConnReader() override {
    if (join_ && (join_->counters().rejected || join_->counters().evicted)) {
      spdlog::info(
          "{}: http/ftp join: {} rows joined, {} unreadable, {} connections dropped "
          "from the full table",
          path_, join_->counters().rows, join_->counters().rejected, join_->counters().evicted);
    }
  }

  Next next(flow::FlowRecord& rec, flow::FieldProblem& problem) override {
    while (true) {
      const auto got = in_->next(line_);
      if (got == LineInput::Got::kEnd || got == LineInput::Got::kWait) return Next::kEnd;
      if (got == LineInput::Got::kTooLong) {
        problem = {"", fmt::format("line longer than {} bytes", options_.max_line_bytes),
                   "line_too_long"};
        return Next::kInvalid;
      }
      const auto kind = parser_.parse(line_, values_, problem);
      if (kind == flow::ZeekLogParser::Line::kHeader) continue;
      if (kind == flow::ZeekLogParser::Line::kInvalid) return Next::kInvalid;
      if (auto p = conn_to_flow(values_, options_.link_header_bytes, rec)) {
        problem = std::move(*p);
        return Next::kInvalid;
      }
      if (join_ && values_[kUid].is_set()) {
        apply_app_counts(join_->take(values_[kUid].text, *rec.ltime), rec);
      }
      ct_.apply(rec);
      rec.key = flow::RecordKey{path_, 0, in_->line_number()};
      return Next::kRecord;
    }
  }
  int64_t line() const override { return in_->line_number(); }
  bool has_labels() const override { return false; }
  const char* format() const override { return "zeek"; }
  // http.log/ftp.log fill the HTTP/FTP features; without them conn.log fills netflow's.
  const flow::Profile& profile() const override {
    return *flow::profile_by_name(join_ ? "conn" : "netflow");
  }

 private:
  std::string path_;
  std::unique_ptr<LineInput> in_;
  std::unique_ptr<AppLogJoin> join_;
  ZeekOptions options_;
  flow::ZeekLogParser parser_;
  meter::CtWindow ct_;
  std::string line_;
  std::vector<flow::ZeekValue> values_;
};

std::unique_ptr<LineInput> open_side(const std::string& path, const ZeekOptions& options,
                                     bool follow) {
  if (path.empty()) return nullptr;
  if (follow) return follow_lines(path, options.max_line_bytes);
  auto in = open_lines(path, options.max_line_bytes);
  return in.ok() ? std::move(in.value()) : nullptr;
}

std::optional<Result<std::unique_ptr<flow::FlowReader>>> open_if_zeek(const std::string& path) {
  if (!looks_like_zeek_conn(path)) return std::nullopt;
  return open_zeek_conn(path, registered_options());
}

}  // namespace

bool looks_like_zeek_conn(const std::string& path) {
  const std::string head = peek_file(path, kPeekBytes);
  std::string_view first(head);
  first = first.substr(0, first.find('\n'));
  if (first.starts_with("#separator ")) {
    // Another Zeek log (http.log, dns.log) is not a conn.log; only #path says which.
    const size_t at = head.find("\n#path");
    return at == std::string::npos || head.compare(at + 7, 4, "conn") == 0;
  }
  return first.starts_with("{") && first.find("\"id.orig_h\"") != std::string_view::npos &&
         first.find("\"conn_state\"") != std::string_view::npos;
}

Result<std::unique_ptr<flow::FlowReader>> open_zeek_conn(const std::string& path,
                                                         const ZeekOptions& options, bool follow) {
  std::unique_ptr<LineInput> in;
  if (follow) {
    in = follow_lines(path, options.max_line_bytes);
  } else {
    auto opened = open_lines(path, options.max_line_bytes);
    if (!opened.ok()) return opened.error();
    in = std::move(opened.value());
  }
  auto http = open_side(side_log(path, "http"), options, follow);
  auto ftp = open_side(side_log(path, "ftp"), options, follow);
  std::unique_ptr<AppLogJoin> join;
  if (http || ftp) {
    join = std::make_unique<AppLogJoin>(std::move(http), std::move(ftp), options.max_join_entries);
  }
  return std::unique_ptr<flow::FlowReader>(
      new ZeekConnReader(path, std::move(in), std::move(join), options));
}

const ZeekOptions& zeek_options() {
  return registered_options();
}

void register_zeek_format(const ZeekOptions& options) {
  registered_options() = options;
  flow::add_flow_file_format(&open_if_zeek);
}

}  // namespace flowsentry::stream
