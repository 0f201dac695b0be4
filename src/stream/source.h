// Source: where flows come from (a file, the traffic generator, a Kafka topic). The pipeline
// pulls batches; a record that cannot be decoded is not an error but data, handed back through
// take_rejected() with its original bytes and the reason, for the dead-letter sink.
#pragma once

#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"
#include "flow/profile.h"
#include "flow/validate.h"

namespace flowsentry::stream {

// A message or row that did not decode, with what the dead-letter sink needs.
struct Rejected {
  flow::RecordKey key;  // where it came from (topic/partition/offset, file/pass/line)
  std::string bytes;    // the original bytes when the source has them (Kafka), else empty
  flow::FieldProblem problem;
  // A Kafka message's own key, headers and timestamp, kept on its dead-letter copy.
  std::string message_key;
  std::vector<std::pair<std::string, std::string>> headers;
  int64_t timestamp_ms = -1;
};

class Source {
 public:
  virtual ~Source() = default;

  // Appends up to `max` records to `out` and returns how many. Waits at most `wait` for the
  // first one; 0 records is a normal answer (nothing yet, or rate limited). Every record gets
  // its RecordKey. An error means the source itself failed (file unreadable, broker gone).
  virtual Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                                    std::chrono::milliseconds wait) = 0;

  // True once the source has nothing more to give (a file read to its end without --loop, a
  // generator past its count). A Kafka source never ends.
  virtual bool at_end() const = 0;

  // Input stops (shutdown): a source that holds records back until more input comes (a live
  // capture's flows still open) releases them; next_batch() hands them over and at_end() turns
  // true once they are read. Returns false when it holds nothing back (the default).
  virtual bool finish_input() { return false; }

  // Moves the records rejected since the last call to `out` (appending).
  virtual void take_rejected(std::vector<Rejected>& out) = 0;

  // For logs: "file data/test.csv", "generator:42 (attack)", "kafka flows@127.0.0.1:9092".
  virtual std::string describe() const = 0;

  // The features this source fills (flow/profile.h); a model needing more is refused before
  // scoring starts (flow::check_source_fills). The generator, Kafka values (every UNSW-NB15
  // column is required) and flow files fill `full`.
  virtual const flow::Profile& profile() const { return flow::full_profile(); }

  // After a batch is durably stored: the keys of its stored records and of the records
  // rejected with it (already dead-lettered). The source may move past all of them (Kafka
  // commits the offsets). Only called when commits() is true. An error is logged, not fatal:
  // the records are read again after a restart, and the store's upsert keeps them once.
  virtual bool commits() const { return false; }
  virtual Status commit(std::span<const flow::RecordKey> /*stored*/,
                        std::span<const flow::RecordKey> /*rejected*/) {
    return {};
  }

  // When the records of the last next_batch() call were sent by their producer (ms since the
  // epoch, -1 when unknown), in order; empty when the source has no such time. The pipeline's
  // end-to-end latency runs from this time to the row being stored.
  virtual std::span<const int64_t> sent_ms() const { return {}; }
};

}  // namespace flowsentry::stream
