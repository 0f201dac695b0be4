#include "pipeline/summary_publisher.h"

#include <utility>

#include "detect/behaviour.h"
#include "detect/flow_summary.h"

namespace flowsentry::pipeline {
namespace {

Counter& dropped_counter(const char* reason) {
  return MetricsRegistry::global().counter(
      "flowsentry_flow_summaries_dropped_total",
      "Flow summaries a worker did not get to the alerter, by reason (queue_full, undelivered)",
      {{"reason", reason}});
}

}  // namespace

bool read_summaries(std::string_view message, std::vector<flow::FlowRecord>& out,
                    std::string& reason) {
  static auto& received = MetricsRegistry::global().counter(
      "flowsentry_flow_summaries_received_total", "Flow summaries the alerter decoded");
  const size_t before = out.size();
  if (detect::decode_summaries(message, out, reason)) {
    received.inc(static_cast<double>(out.size() - before));
    return true;
  }
  MetricsRegistry::global()
      .counter("flowsentry_flow_summaries_rejected_total",
               "Flow-summary messages the alerter could not decode, by reason",
               {{"reason", reason}})
      .inc();
  return false;
}

SummaryPublisher::SummaryPublisher(SummarySend send)
    : send_(std::move(send)),
      published_metric_(MetricsRegistry::global().counter(
          "flowsentry_flow_summaries_published_total",
          "Flow summaries queued for the alerter's target-keyed detectors")),
      queue_full_metric_(dropped_counter("queue_full")),
      undelivered_metric_(dropped_counter("undelivered")) {}

void SummaryPublisher::publish(std::span<const model::ScoredFlow> batch) {
  for (const auto& s : batch) {
    if (!detect::target_keyed_shape(s.flow)) continue;
    auto& p = by_key_[detect::target_key(s.flow)];
    detect::encode_summary(s.flow, p.body);
    if (++p.count == detect::kMaxSummariesPerMessage) send(detect::target_key(s.flow), p);
  }
  for (auto& [key, p] : by_key_) {
    if (p.count > 0) send(key, p);
  }
  // A spoofed flood brings a new key per flow: keep the map from growing across batches.
  by_key_.clear();
}

void SummaryPublisher::send(const std::string& key, Pending& p) {
  const uint64_t n = p.count;
  if (send_(key, detect::summary_message(p.body, p.count), n)) {
    published_ += n;
    published_metric_.inc(static_cast<double>(n));
  } else {
    dropped_ += n;
    queue_full_metric_.inc(static_cast<double>(n));
  }
  p.body.clear();
  p.count = 0;
}

void SummaryPublisher::undelivered(uint64_t records) {
  dropped_ += records;
  undelivered_metric_.inc(static_cast<double>(records));
}

}  // namespace flowsentry::pipeline
