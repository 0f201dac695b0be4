// SummaryPublisher: the worker's side of the target-keyed detectors. For every flow of a
// target-keyed shape (detect::target_keyed_shape: failed TCP, one-way UDP, ICMP, DHCP,
// unsolicited ARP) it encodes a flow summary and sends them, grouped by target key (the
// destination address; ARP: the sender MAC) into messages of up to
// detect::kMaxSummariesPerMessage, to the `kafka.summaries_topic` keyed by that key, so every
// summary of one target reaches one alerter partition. The send never waits: a full queue
// drops the message, counted in flowsentry_flow_summaries_dropped_total{reason}.
// read_summaries is the alerter's end.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/metrics.h"
#include "model/verdict.h"

namespace flowsentry::pipeline {

// The alerter's side: decodes one message into `out` (appended), counting the summaries in
// flowsentry_flow_summaries_received_total, or a malformed message (then false, `out` as it
// was) in flowsentry_flow_summaries_rejected_total{reason}.
bool read_summaries(std::string_view message, std::vector<flow::FlowRecord>& out,
                    std::string& reason);

// Queues one message without waiting; false when it could not be queued. `records` is the
// number of summaries in it (for counting a later delivery failure).
using SummarySend =
    std::function<bool(const std::string& key, std::string value, uint64_t records)>;

class SummaryPublisher {
 public:
  explicit SummaryPublisher(SummarySend send);

  void publish(std::span<const model::ScoredFlow> batch);
  // A queued message that was never delivered (called from the delivery report).
  void undelivered(uint64_t records);

  uint64_t published() const { return published_; }
  uint64_t dropped() const { return dropped_; }

 private:
  struct Pending {
    std::string body;
    size_t count = 0;
  };
  void send(const std::string& key, Pending& p);

  SummarySend send_;
  std::unordered_map<std::string, Pending> by_key_;  // one batch's summaries
  uint64_t published_ = 0, dropped_ = 0;
  Counter& published_metric_;
  Counter& queue_full_metric_;
  Counter& undelivered_metric_;
};

}  // namespace flowsentry::pipeline
