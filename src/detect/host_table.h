// HostTable: per-host (or per-pair) detector state with bounded memory. Entries are kept in
// order of their last event time; an entry idle longer than `idle_s` of event time, or the
// oldest one when the table holds `max_entries`, is evicted and counted, so a flood of spoofed
// addresses costs at most max_entries states.
#pragma once

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/metrics.h"

namespace flowsentry::detect {

template <typename State>
class HostTable {
 public:
  HostTable(std::string detector, size_t max_entries, double idle_s)
      : max_(max_entries < 1 ? 1 : max_entries),
        idle_s_(idle_s),
        evictions_metric_(&MetricsRegistry::global().counter(
            "flowsentry_detector_evictions_total",
            "Behaviour-detector states evicted (idle in event time, or the oldest when full)",
            {{"detector", detector}})) {}

  // The state for `key` at event time t, created when absent; touching it makes it the newest.
  State& touch(const std::string& key, double t) {
    expire(t);
    auto it = index_.find(key);
    if (it != index_.end()) {
      it->second->last = std::max(it->second->last, t);
      order_.splice(order_.end(), order_, it->second);
      return it->second->state;
    }
    if (index_.size() >= max_) evict_oldest();
    order_.push_back(Entry{key, t, State{}});
    index_.emplace(order_.back().key, std::prev(order_.end()));
    return order_.back().state;
  }

  // Drops entries whose last event is more than idle_s before t.
  void expire(double t) {
    while (!order_.empty() && order_.front().last < t - idle_s_) evict_oldest();
  }

  size_t size() const { return index_.size(); }
  uint64_t evictions() const { return evictions_; }
  template <typename F>
  void for_each(F&& f) const {
    for (const auto& e : order_) f(e.key, e.state);
  }

 private:
  struct Entry {
    std::string key;
    double last;
    State state;
  };
  void evict_oldest() {
    index_.erase(std::string_view(order_.front().key));
    order_.pop_front();
    ++evictions_;
    evictions_metric_->inc();
  }

  size_t max_;
  double idle_s_;
  std::list<Entry> order_;  // oldest first
  // Keys view the entries' own strings (list nodes never move): one copy of each key.
  std::unordered_map<std::string_view, typename std::list<Entry>::iterator> index_;
  uint64_t evictions_ = 0;
  Counter* evictions_metric_;
};

}  // namespace flowsentry::detect
