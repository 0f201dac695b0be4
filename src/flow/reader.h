// FlowReader: rows from a flow file, CSV or JSON lines, chosen by sniffing the first byte
// ('{' means JSON lines). Each row is a record or a problem with its line number.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "flow/csv.h"
#include "flow/json_codec.h"
#include "flow/profile.h"

namespace flowsentry::flow {

class FlowReader {
 public:
  enum class Next { kRecord, kInvalid, kEnd };
  virtual ~FlowReader() = default;
  virtual Next next(FlowRecord& rec, FieldProblem& problem) = 0;
  virtual int64_t line() const = 0;     // line where the last row returned starts
  virtual bool has_labels() const = 0;  // CSV: header has label and attack_cat columns
  virtual const char* format() const = 0;
  // The features this format fills (flow/profile.h). CSV and JSON lines require every
  // UNSW-NB15 column, and captures are metered into all of them: full. Readers of poorer
  // sources (NetFlow/IPFIX, Zeek conn.log) return their profile, and a model needing more is
  // refused before scoring (check_source_fills).
  virtual const Profile& profile() const { return full_profile(); }
};

Result<std::unique_ptr<FlowReader>> open_flow_file(const std::string& path);

// Formats that live in modules to the right of flow (packet captures, metered by `stream`)
// join the sniffing here: an opener returns nullopt for a file that is not its format.
// Registered once at start-up (`stream::register_capture_format()`), before any reading.
using FlowFileOpener =
    std::optional<Result<std::unique_ptr<FlowReader>>> (*)(const std::string& path);
void add_flow_file_format(FlowFileOpener opener);

// Every valid record of a flow file, in order; invalid rows are skipped (for benchmarks and
// tests that want the rows, not their problems).
Result<std::vector<FlowRecord>> read_valid_flows(const std::string& path);

}  // namespace flowsentry::flow
