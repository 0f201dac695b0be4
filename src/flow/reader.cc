#include "flow/reader.h"

#include <fstream>

namespace flowsentry::flow {
namespace {

class CsvFlowReader final : public FlowReader {
 public:
  explicit CsvFlowReader(std::unique_ptr<CsvReader> r) : r_(std::move(r)) {}
  Next next(FlowRecord& rec, FieldProblem& problem) override {
    return static_cast<Next>(r_->next(rec, problem));
  }
  int64_t line() const override { return r_->line(); }
  bool has_labels() const override { return r_->schema().has_labels(); }
  const char* format() const override { return "csv"; }

 private:
  std::unique_ptr<CsvReader> r_;
};

class JsonLinesReader final : public FlowReader {
 public:
  JsonLinesReader(std::unique_ptr<std::istream> in, std::string source)
      : in_(std::move(in)), source_(std::move(source)) {}

  Next next(FlowRecord& rec, FieldProblem& problem) override {
    do {
      if (!std::getline(*in_, buf_)) return Next::kEnd;
      line_ = ++lines_read_;
      if (!buf_.empty() && buf_.back() == '\r') buf_.pop_back();
      if (line_ == 1 && buf_.starts_with("\xEF\xBB\xBF")) buf_.erase(0, 3);
    } while (buf_.find_first_not_of(" \t") == std::string::npos);
    auto p = decoder_.decode_one(buf_, rec);
    rec.key.source = source_;
    rec.key.partition = 0;
    rec.key.offset = line_;
    if (p) {
      problem = std::move(*p);
      return Next::kInvalid;
    }
    has_labels_ = has_labels_ && rec.label && rec.attack_cat;
    return Next::kRecord;
  }
  int64_t line() const override { return line_; }
  bool has_labels() const override { return has_labels_; }
  const char* format() const override { return "jsonl"; }

 private:
  std::unique_ptr<std::istream> in_;
  std::string source_;
  std::string buf_;
  JsonDecoder decoder_;
  int64_t lines_read_ = 0;
  int64_t line_ = 0;
  bool has_labels_ = true;
};

std::vector<FlowFileOpener>& openers() {
  static std::vector<FlowFileOpener> list;
  return list;
}

}  // namespace

void add_flow_file_format(FlowFileOpener opener) {
  for (auto o : openers()) {
    if (o == opener) return;
  }
  openers().push_back(opener);
}

Result<std::unique_ptr<FlowReader>> open_flow_file(const std::string& path) {
  for (auto opener : openers()) {
    if (auto r = opener(path)) return std::move(*r);
  }
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) return make_error(ErrorCode::kNotFound, "cannot open file", path);
  char head[4] = {};
  in->read(head, sizeof head);
  in->clear();
  in->seekg(0);
  size_t skip = std::string_view(head, 3) == "\xEF\xBB\xBF" ? 3 : 0;
  if (head[skip] == '{') {
    return std::unique_ptr<FlowReader>(new JsonLinesReader(std::move(in), path));
  }
  auto csv = CsvReader::from_stream(std::move(in), path);
  if (!csv.ok()) return csv.error();
  return std::unique_ptr<FlowReader>(new CsvFlowReader(std::move(csv.value())));
}

Result<std::vector<FlowRecord>> read_valid_flows(const std::string& path) {
  auto reader = open_flow_file(path);
  if (!reader) return reader.error();
  std::vector<FlowRecord> rows;
  FlowRecord rec;
  FieldProblem problem;
  for (auto n = (*reader)->next(rec, problem); n != FlowReader::Next::kEnd;
       n = (*reader)->next(rec, problem)) {
    if (n == FlowReader::Next::kRecord) rows.push_back(rec);
  }
  return rows;
}

}  // namespace flowsentry::flow
