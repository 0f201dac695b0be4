// Zeek ASCII logs, line by line: the TSV format with its `#separator`/`#fields`/`#types`
// header (any field order, `-` unset, `(empty)` empty, sets and vectors joined by the set
// separator, `#close`) and JSON lines (`LogAscii::use_json`, unset fields omitted, sets and
// vectors as arrays). The caller names the fields it wants; each data line yields their text in
// that order. Pure parsing: no I/O, every input bounded (a line is parsed in place).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/validate.h"

namespace flowsentry::flow {

struct ZeekValue {
  enum State : uint8_t { kUnset, kEmpty, kSet };
  State state = kUnset;
  std::string text;  // kSet: the value (a JSON number as written, an array joined by ',')
  bool is_set() const { return state == kSet; }
};

class ZeekLogParser {
 public:
  enum class Line {
    kHeader,   // a `#` line (or blank): nothing to return
    kRow,      // `values` holds the wanted fields
    kInvalid,  // `problem` says why; the line is rejected
  };

  // `wanted`: field names in the order values are returned; the first `required` of them must
  // be present (in `#fields`, or as keys of a JSON line).
  ZeekLogParser(std::vector<std::string> wanted, size_t required);
  ~ZeekLogParser();
  ZeekLogParser(ZeekLogParser&&) noexcept;
  ZeekLogParser& operator=(ZeekLogParser&&) noexcept;

  Line parse(std::string_view line, std::vector<ZeekValue>& values, FieldProblem& problem);

  // The `#path` of the last TSV header ("conn"), empty when none was seen.
  const std::string& path() const { return path_; }
  // True after a TSV `#fields` line, until `#close`.
  bool in_tsv_block() const { return !columns_.empty(); }

 private:
  void header(std::string_view line);
  void set_fields(std::string_view list);
  Line parse_tsv(std::string_view line, std::vector<ZeekValue>& values, FieldProblem& problem);
  Line parse_json(std::string_view line, std::vector<ZeekValue>& values, FieldProblem& problem);

  std::vector<std::string> wanted_;
  size_t required_;
  std::string separator_ = "\t";
  std::string set_separator_ = ",";
  std::string empty_field_ = "(empty)";
  std::string unset_field_ = "-";
  std::string path_;
  bool tsv_ = false;          // a `#` header line was seen
  std::vector<int> columns_;  // per `#fields` column: index into wanted_, or -1
  std::string missing_;       // first required field absent from `#fields`
  size_t column_count_ = 0;
  struct Json;  // the JSON parser's reusable buffers
  std::unique_ptr<Json> json_;
  std::vector<uint8_t> seen_;  // JSON: which wanted keys a line had
};

// Decodes Zeek's `\xHH` escapes (separator lines, escaped bytes in values).
std::string zeek_unescape(std::string_view text);

// Seconds since the epoch from a Zeek time: a number ("1591367999.305988") or ISO 8601 UTC
// ("2020-06-05T14:39:59.305988Z", JSON logs with json_timestamps ISO8601).
std::optional<double> parse_zeek_time(std::string_view text);

// A non-negative whole number (Zeek `count`/`port`); nullopt otherwise.
std::optional<uint64_t> parse_zeek_count(std::string_view text);

// A non-negative finite number (Zeek `interval`, `double`); nullopt otherwise.
std::optional<double> parse_zeek_interval(std::string_view text);

}  // namespace flowsentry::flow
