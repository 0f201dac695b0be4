#include "stream/kafka_source.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace flowsentry::stream {

Result<size_t> KafkaSource::next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                                       std::chrono::milliseconds wait) {
  messages_.clear();
  sent_ms_.clear();
  auto n = consumer_->poll_batch(messages_, max, wait);
  if (!n.ok()) return n.error();
  size_t added = 0;
  for (auto& m : messages_) {
    flow::RecordKey key{m.topic, m.partition, m.offset};
    flow::FlowRecord rec;
    if (auto problem = decoder_.decode(m.value, rec)) {
      rejected_.push_back(Rejected{std::move(key), std::move(m.value), std::move(*problem),
                                   std::move(m.key), std::move(m.headers), m.timestamp_ms});
      continue;
    }
    rec.key = std::move(key);
    // The store keys a flow by event time too: a flow without one takes the message's
    // timestamp, which stays the same when the message is read again after a crash.
    if (!rec.stime && m.timestamp_ms >= 0) rec.stime = static_cast<double>(m.timestamp_ms) / 1000;
    out.push_back(std::move(rec));
    sent_ms_.push_back(m.sent_ms.value_or(-1));
    ++added;
  }
  return added;
}

void KafkaSource::take_rejected(std::vector<Rejected>& out) {
  for (auto& r : rejected_) out.push_back(std::move(r));
  rejected_.clear();
}

std::string KafkaSource::describe() const {
  return fmt::format("kafka group {} ({})", consumer_->group(),
                     message_format_name(decoder_.format()));
}

Status KafkaSource::commit(std::span<const flow::RecordKey> stored,
                           std::span<const flow::RecordKey> rejected) {
  auto offsets = offsets_after(stored);
  merge_offsets(offsets, offsets_after(rejected));
  if (offsets.empty()) return {};
  merge_offsets(pending_, offsets);
  return consumer_->commit(offsets, /*async=*/true);
}

Status KafkaSource::commit_pending() {
  if (pending_.empty()) return {};
  return consumer_->commit(pending_);
}

void merge_offsets(std::vector<TopicPartition>& into, std::span<const TopicPartition> offsets) {
  for (const auto& tp : offsets) {
    auto same = [&](const auto& o) { return o.topic == tp.topic && o.partition == tp.partition; };
    auto it = std::find_if(into.begin(), into.end(), same);
    if (it == into.end()) {
      into.push_back(tp);
    } else {
      it->offset = std::max(it->offset, tp.offset);
    }
  }
}

std::vector<TopicPartition> offsets_after(std::span<const flow::RecordKey> keys) {
  std::map<std::pair<std::string, int64_t>, int64_t> next;
  for (const auto& k : keys) {
    auto [it, inserted] = next.try_emplace({k.source, k.partition}, k.offset + 1);
    if (!inserted) it->second = std::max(it->second, k.offset + 1);
  }
  std::vector<TopicPartition> out;
  for (const auto& [tp, off] : next) {
    out.push_back(TopicPartition{tp.first, static_cast<int32_t>(tp.second), off});
  }
  return out;
}

}  // namespace flowsentry::stream
