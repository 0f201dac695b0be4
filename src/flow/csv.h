// CSV decoding of flows: a header maps columns by name (any order, extra columns ignored),
// then each line decodes into a FlowRecord or a FieldProblem. Handles a UTF-8 byte-order mark,
// CRLF or LF, and RFC 4180 quoting (including quoted line breaks).
#pragma once

#include <cstdint>
#include <deque>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"
#include "flow/validate.h"

namespace flowsentry::flow {

// The fields of one CSV line: views into the line, or into `unquoted` for quoted fields that
// held doubled quotes. Reused between lines so steady-state decoding does not allocate.
struct CsvFields {
  std::vector<std::string_view> views;
  std::deque<std::string> unquoted;  // deque: growing it never moves the strings views point to
  size_t count = 0;
};

// Splits one CSV line into fields. Returns false on an unterminated quote.
bool split_csv_line(std::string_view line, CsvFields& fields);

// Which record member each column feeds.
class CsvSchema {
 public:
  // From a header line. A missing required column is an error naming it.
  static Result<CsvSchema> from_header(std::string_view header);
  // The UNSW-NB15 column order, for header-less messages (Kafka values).
  static const CsvSchema& canonical();

  size_t columns() const { return roles_.size(); }
  bool has_labels() const { return has_label_ && has_attack_cat_; }

  // Decodes one logical line. `scratch` is reused between calls to avoid allocation.
  std::optional<FieldProblem> decode(std::string_view line, FlowRecord& rec,
                                     CsvFields& scratch) const;

 private:
  std::vector<int> roles_;  // NumField index, or one of the negative kRole values in csv.cc
  std::vector<std::string> names_;
  bool has_label_ = false;
  bool has_attack_cat_ = false;
};

// Appends `v` as one CSV field: as it is, or RFC 4180-quoted when it holds a comma, quote or
// line break.
void append_csv_field(std::string& out, std::string_view v);

// Writing flows with their identity, as `flowsentry capture` does: stime, ltime, srcip,
// sport, dstip, dsport, then the training-set columns dur ... is_sm_ips_ports (no id, no
// labels). Absent identity values are written as empty fields.
std::string identity_csv_header();
void append_identity_csv(const FlowRecord& rec, std::string& out);

// Streams records from a CSV file.
class CsvReader {
 public:
  enum class Next { kRecord, kInvalid, kEnd };

  static Result<std::unique_ptr<CsvReader>> open(const std::string& path);
  static Result<std::unique_ptr<CsvReader>> from_stream(std::unique_ptr<std::istream> in,
                                                        std::string source);

  // Reads the next non-empty row. On kInvalid, `problem` says why and the reader moves on.
  Next next(FlowRecord& rec, FieldProblem& problem);
  // 1-based line number where the last row returned starts (the header is line 1).
  int64_t line() const { return row_line_; }
  const CsvSchema& schema() const { return schema_; }
  const std::string& source() const { return source_; }

 private:
  CsvReader(std::unique_ptr<std::istream> in, std::string source)
      : in_(std::move(in)), source_(std::move(source)) {}
  bool read_logical_line(std::string& out);

  std::unique_ptr<std::istream> in_;
  std::string source_;
  CsvSchema schema_;
  std::string buf_;
  std::string more_;
  CsvFields scratch_;
  int64_t next_line_ = 1;
  int64_t row_line_ = 0;
};

}  // namespace flowsentry::flow
