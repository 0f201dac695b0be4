// KafkaConsumer: a member of a consumer group with manual offset commits only. Nothing is
// committed automatically: the caller commits the offsets of what it has durably stored.
//
// Rebalance semantics (what a pipeline must do):
//   - The handler runs on the thread calling poll_batch()/close(), inside that call.
//   - kRevoked is reported BEFORE the partitions are taken away: drain and store what is in
//     flight for them and commit() from inside the handler; after it returns, commits for those
//     partitions may fail and messages already polled from them will be re-delivered to the new
//     owner (at-least-once; the store's upsert on the record key removes the duplicate).
//   - kLost (the group session expired) is like kRevoked but the partitions may already belong to
//     someone else: do not commit, drop what is in flight for them.
//   - kAssigned is reported AFTER the partitions are assigned; consumption starts at the
//     committed offset (or `auto.offset.reset` when there is none). When the consumer is paused
//     (backpressure), newly assigned partitions are paused too.
//   - close() leaves the group and runs the revoke handler; the destructor does the same when
//     close() was not called, so close() first if the handler uses objects that die earlier.
// Not thread-safe: one thread polls, commits, pauses and resumes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "stream/kafka_common.h"

struct rd_kafka_s;

namespace flowsentry::stream {

struct ConsumerConfig {
  std::string brokers;
  std::string group = "flowsentry";
  std::vector<std::string> topics{"flows"};
  std::string client_id = "flowsentry";
  std::string auto_offset_reset = "earliest";  // where a group with no commit starts
  std::chrono::milliseconds session_timeout{10000};
  // "cooperative-sticky": a rebalance revokes only the partitions that move, the others keep
  // being consumed (incremental assign/unassign in the handler); "range,roundrobin" is eager:
  // every rebalance revokes all.
  std::string assignment_strategy = "cooperative-sticky";
  KafkaProperties extra;
};

struct KafkaMessage {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  int64_t timestamp_ms = -1;       // broker or producer timestamp, -1 when none
  std::optional<int64_t> sent_ms;  // the flowsentry-sent-ms header, when present
  Headers headers;
};

struct RebalanceEvent {
  enum class Kind { kAssigned, kRevoked, kLost };
  Kind kind;
  std::vector<TopicPartition> partitions;  // offsets not meaningful here
};
const char* rebalance_kind_name(RebalanceEvent::Kind kind);

struct PartitionLag {
  TopicPartition tp;  // offset = the consumer's position (next to fetch), -1 unknown
  int64_t high_watermark = -1;
  int64_t lag = -1;  // high_watermark - position, -1 when unknown
};

class KafkaConsumer {
 public:
  using RebalanceHandler = std::function<void(const RebalanceEvent&)>;

  // Creates the consumer and subscribes to the topics. Connects lazily: an unreachable broker
  // shows up as empty polls and a kUnavailable from commit(), not here.
  static Result<std::unique_ptr<KafkaConsumer>> create(const ConsumerConfig& config,
                                                       RebalanceHandler on_rebalance = {});
  ~KafkaConsumer();
  KafkaConsumer(const KafkaConsumer&) = delete;
  KafkaConsumer& operator=(const KafkaConsumer&) = delete;

  // Appends up to `max` messages to `out`, waiting at most `wait` in total: returns as soon as
  // `max` have arrived, else at the deadline with what there is (maybe none). Transient broker
  // errors are logged and polling goes on; a fatal consumer error, an authentication failure or
  // a TLS handshake failure is returned (see auth_failure()).
  Result<size_t> poll_batch(std::vector<KafkaMessage>& out, size_t max,
                            std::chrono::milliseconds wait);

  // Commits `offsets` (offset = next message to read, i.e. last stored + 1). Synchronous unless
  // `async`; a synchronous commit returns once the group coordinator has it.
  Status commit(const std::vector<TopicPartition>& offsets, bool async = false);
  // The offsets to commit after storing `messages`: per partition, the highest offset + 1.
  static std::vector<TopicPartition> next_offsets(const std::vector<KafkaMessage>& messages);
  // What the group has committed for the given partitions (offset -1001 when none).
  Result<std::vector<TopicPartition>> committed(const std::vector<TopicPartition>& partitions,
                                                std::chrono::milliseconds timeout);

  // Backpressure: stop fetching from every assigned partition / start again. Messages already
  // fetched but not yet polled are kept or re-fetched by librdkafka, none is skipped.
  Status pause();
  Status resume();
  bool paused() const { return paused_; }

  std::vector<TopicPartition> assignment() const;
  // Per assigned partition: position, high watermark and lag, from the consumer's cached
  // watermarks (no broker round trip; fresh within a fetch interval).
  std::vector<PartitionLag> lag() const;
  int64_t total_lag() const;

  // Leaves the group: runs the revoke handler (commit there), then closes. Idempotent.
  Status close();

  const std::string& group() const { return config_.group; }

 private:
  explicit KafkaConsumer(ConsumerConfig config) : config_(std::move(config)) {}
  friend struct ConsumerCallbacks;
  void rebalance(int err, void* partitions);

  ConsumerConfig config_;
  RebalanceHandler on_rebalance_;
  rd_kafka_s* rk_ = nullptr;
  bool paused_ = false;
  bool closed_ = false;
  std::optional<Error> fatal_;  // set by the error callback, inside poll
};

}  // namespace flowsentry::stream
