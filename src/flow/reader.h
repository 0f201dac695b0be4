// FlowReader: rows from a flow file, CSV or JSON lines, chosen by sniffing the first byte
// ('{' means JSON lines). Each row is a record or a problem with its line number.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "flow/csv.h"
#include "flow/json_codec.h"

namespace flowsentry::flow {

class FlowReader {
 public:
  enum class Next { kRecord, kInvalid, kEnd };
  virtual ~FlowReader() = default;
  virtual Next next(FlowRecord& rec, FieldProblem& problem) = 0;
  virtual int64_t line() const = 0;     // line where the last row returned starts
  virtual bool has_labels() const = 0;  // CSV: header has label and attack_cat columns
  virtual const char* format() const = 0;
};

Result<std::unique_ptr<FlowReader>> open_flow_file(const std::string& path);

// Every valid record of a flow file, in order; invalid rows are skipped (for benchmarks and
// tests that want the rows, not their problems).
Result<std::vector<FlowRecord>> read_valid_flows(const std::string& path);

}  // namespace flowsentry::flow
