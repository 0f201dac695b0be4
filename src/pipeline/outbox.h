// Outbox: the Kafka messages a batch owes (dead letters, anomalies) that must be acknowledged by
// the broker before the batch's offsets are committed. A message whose delivery fails (the
// broker was down past the producer's timeout) is sent again, so an outage delays these
// messages but never loses them: at-least-once, like the flows themselves.
//
// One thread: send(), settle() and the delivery reports they serve all run on the caller's.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <vector>

#include "common/result.h"
#include "stream/kafka_producer.h"

namespace flowsentry::pipeline {

class Outbox {
 public:
  // Takes over the producer's delivery-report hook.
  explicit Outbox(stream::KafkaProducer& producer);

  Status send(stream::OutMessage message);
  // Waits until every message sent so far is acknowledged, sending failed ones again with
  // backoff. Gives up (kUnavailable) only when `stop` is set: the batch is then not committed
  // and is read again on restart.
  Status settle(const std::atomic<bool>& stop);

  size_t pending() const { return pending_.size(); }
  uint64_t resent() const { return resent_; }

 private:
  stream::KafkaProducer& producer_;
  std::map<uint64_t, stream::OutMessage> pending_;  // sent, not yet acknowledged, by id
  std::vector<uint64_t> failed_;                    // delivery failed: to send again
  uint64_t next_id_ = 1;
  uint64_t resent_ = 0;
};

}  // namespace flowsentry::pipeline
