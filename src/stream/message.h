// Kafka message values <-> FlowRecord. A value is one JSON object (keys as in UNSW-NB15) or one
// CSV line in the canonical UNSW-NB15 column order without a header. A value that does not
// decode yields a FieldProblem, so the caller can send the original bytes to the dead-letter
// topic with the reason.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "flow/csv.h"
#include "flow/flow_record.h"
#include "flow/json_codec.h"
#include "flow/validate.h"

namespace flowsentry::stream {

enum class MessageFormat { kJson, kCsv };

Result<MessageFormat> parse_message_format(std::string_view name);  // "json" | "csv"
const char* message_format_name(MessageFormat format);

// Header names flowsentry reads and writes on Kafka messages.
inline constexpr std::string_view kSentMsHeader = "flowsentry-sent-ms";   // producer send time
inline constexpr std::string_view kReasonHeader = "flowsentry-reason";    // DLQ: reason code
inline constexpr std::string_view kProblemHeader = "flowsentry-problem";  // DLQ: field: problem
inline constexpr std::string_view kOriginHeader = "flowsentry-origin";    // DLQ: topic/part/offset

// Decodes message values. Holds parser buffers: one per thread.
class MessageDecoder {
 public:
  explicit MessageDecoder(MessageFormat format) : format_(format) {}

  // nullopt when `bytes` decoded into `out`; else what is wrong (reason: bad_json, bad_csv,
  // negative, ..., as in flow/validate.h).
  std::optional<flow::FieldProblem> decode(std::string_view bytes, flow::FlowRecord& out);

  MessageFormat format() const { return format_; }

 private:
  MessageFormat format_;
  flow::JsonDecoder json_;
  flow::CsvFields csv_scratch_;
};

// Appends `rec` encoded as a message value (no trailing newline).
void append_message(const flow::FlowRecord& rec, MessageFormat format, std::string& out);
std::string encode_message(const flow::FlowRecord& rec, MessageFormat format);

// The Kafka message key of a flow: its source address, so one host's flows share a partition
// (ordered, and per-host detectors see them on one worker); empty (no key) without one.
inline std::string_view message_key(const flow::FlowRecord& rec) {
  return rec.srcip ? std::string_view(*rec.srcip) : std::string_view();
}

// A deliberately broken value for dead-letter tests; `variant` picks one of several kinds of
// damage (truncated, negative count, not a number, wrong field count / unknown category).
std::string make_malformed(const flow::FlowRecord& rec, MessageFormat format, uint64_t variant);

// "topic/partition/offset", the origin header of a dead-letter message.
std::string format_origin(const flow::RecordKey& key);

}  // namespace flowsentry::stream
