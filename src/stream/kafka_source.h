// KafkaSource: a KafkaConsumer as a Source. Values decode through MessageDecoder; a record's key
// is (topic, partition, offset); a value that does not decode becomes a Rejected with its
// original bytes. commit() commits asynchronously what the pipeline says is stored and keeps
// the offsets, so a rebalance or the end can commit them synchronously (commit_pending()).
#pragma once

#include <memory>
#include <vector>

#include "stream/kafka_consumer.h"
#include "stream/message.h"
#include "stream/source.h"

namespace flowsentry::stream {

class KafkaSource final : public Source {
 public:
  KafkaSource(std::unique_ptr<KafkaConsumer> consumer, MessageFormat format)
      : consumer_(std::move(consumer)), decoder_(format) {}

  // Decoded records are appended to `out`; for each, sent_ms() gets the producer's send time
  // (the flowsentry-sent-ms header, -1 when absent) at the same position of this call's output.
  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override;
  bool at_end() const override { return false; }
  void take_rejected(std::vector<Rejected>& out) override;
  std::string describe() const override;

  std::span<const int64_t> sent_ms() const override { return sent_ms_; }

  bool commits() const override { return true; }
  Status commit(std::span<const flow::RecordKey> stored,
                std::span<const flow::RecordKey> rejected) override;
  // Commits the offsets of every commit() so far and waits for the broker (before partitions
  // are revoked, and when leaving).
  Status commit_pending();
  // Drops them: after a rebalance the partitions may belong to another member.
  void forget_pending() { pending_.clear(); }

  KafkaConsumer& consumer() { return *consumer_; }

 private:
  std::unique_ptr<KafkaConsumer> consumer_;
  MessageDecoder decoder_;
  std::vector<KafkaMessage> messages_;
  std::vector<Rejected> rejected_;
  std::vector<int64_t> sent_ms_;
  std::vector<TopicPartition> pending_;  // highest committed offset per partition
};

// Per (source, partition), the key offset + 1 of the highest key: what to commit once every one
// of these records is stored. For Kafka records, source is the topic.
std::vector<TopicPartition> offsets_after(std::span<const flow::RecordKey> keys);

// Merges `offsets` into `into`, per partition; the highest offset wins.
void merge_offsets(std::vector<TopicPartition>& into, std::span<const TopicPartition> offsets);

}  // namespace flowsentry::stream
