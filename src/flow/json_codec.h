// JSON decoding and encoding of flows. A document is one flow object or an array of them;
// keys are the UNSW-NB15 field names. Problems name the field by JSON pointer ("/3/sbytes").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"
#include "flow/validate.h"

namespace flowsentry::flow {

struct RecordProblem {
  size_t index = 0;  // position in the array (0 for a single object)
  FieldProblem problem;
};

// Holds the parser state, so one decoder per thread reuses its buffers. Not thread-safe.
class JsonDecoder {
 public:
  JsonDecoder();
  ~JsonDecoder();
  JsonDecoder(const JsonDecoder&) = delete;
  JsonDecoder& operator=(const JsonDecoder&) = delete;

  // Decodes an object or array. Valid flows are appended to `out` (in order); each invalid
  // element adds a RecordProblem and decoding goes on. `is_array` tells which shape it was.
  // Returns an error only when the bytes are not JSON of that shape at all.
  // An array of more than `max_elements` is refused (kInvalidArgument, where "/") before any
  // element is decoded, so a small body of tiny elements cannot cost memory per element.
  Status decode(std::string_view json, std::vector<FlowRecord>& out,
                std::vector<RecordProblem>& problems, bool* is_array = nullptr,
                size_t max_elements = SIZE_MAX);

  // Frees the parser's buffers when they grew past `bytes` of document capacity (a large
  // request), so one large body does not keep its memory for the thread's lifetime.
  void shrink(size_t bytes);

  // Decodes exactly one flow object (a Kafka message, a JSON-lines row).
  std::optional<FieldProblem> decode_one(std::string_view json, FlowRecord& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `rec` as a JSON object with every field (labels, id and stime when present).
void append_json(const FlowRecord& rec, std::string& out);
// Appends `s` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);
std::string to_json(const FlowRecord& rec);

}  // namespace flowsentry::flow
