#include "pipeline/outbox.h"

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "common/metrics.h"

namespace flowsentry::pipeline {
namespace {

void count_failure(const std::string& topic) {
  MetricsRegistry::global()
      .counter("flowsentry_kafka_produce_failures_total",
               "Dead-letter and anomaly messages not delivered (sent again until acknowledged)",
               {{"topic", topic}})
      .inc();
}

}  // namespace

Outbox::Outbox(stream::KafkaProducer& producer) : producer_(producer) {
  producer_.on_delivery([this](const stream::DeliveryReport& r) {
    if (!pending_.contains(r.opaque)) return;
    if (r.ok) {
      pending_.erase(r.opaque);
    } else {
      count_failure(pending_.at(r.opaque).topic);
      failed_.push_back(r.opaque);
    }
  });
}

Status Outbox::send(stream::OutMessage message) {
  const uint64_t id = next_id_++;
  auto [it, added] = pending_.emplace(id, std::move(message));
  auto st = producer_.send(it->second, id);
  // Not even queued (local queue full for long): keep it to send again when settling.
  if (!st.ok()) {
    count_failure(it->second.topic);
    failed_.push_back(id);
  }
  return {};
}

Status Outbox::settle(const std::atomic<bool>& stop) {
  auto delay = std::chrono::milliseconds(100);
  while (!pending_.empty()) {
    (void)producer_.flush(std::chrono::milliseconds(500));
    if (!failed_.empty()) {
      auto again = std::move(failed_);
      failed_.clear();
      module_logger("pipeline")
          ->warn("{} dead-letter/anomaly message(s) not delivered ({}); sending again in {} ms",
                 again.size(), producer_.last_error(), delay.count());
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(5000));
      for (uint64_t id : again) {
        auto it = pending_.find(id);
        if (it == pending_.end()) continue;
        ++resent_;
        if (!producer_.send(it->second, id).ok()) {
          count_failure(it->second.topic);
          failed_.push_back(id);
        }
      }
    }
    if (!pending_.empty() && stop.load()) {
      return make_error(ErrorCode::kUnavailable,
                        fmt::format("stopped with {} message(s) unacknowledged", pending_.size()));
    }
  }
  return {};
}

}  // namespace flowsentry::pipeline
