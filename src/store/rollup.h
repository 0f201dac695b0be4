// RollupDelta: what one write adds to a rollup table — per bucket and group (proto, service,
// state, label, ct_state_ttl) the count and the sums of score and the KPIs. Only flows actually
// inserted are added, so re-writing a batch leaves the rollups unchanged.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "model/verdict.h"
#include "store/aggregate.h"

namespace flowsentry::store {

struct RollupKey {
  int64_t bucket = 0;
  std::string proto, service, state;
  int label = 0;
  int64_t ct_state_ttl = 0;

  auto tie() const { return std::tie(bucket, proto, service, state, label, ct_state_ttl); }
  bool operator<(const RollupKey& o) const { return tie() < o.tie(); }
};

struct RollupSums {
  int64_t n = 0;
  double score_sum = 0;
  std::array<double, 9> kpi_sum{};
};

class RollupDelta {
 public:
  // totals: group by (bucket, label) only, for the rollup_*_total tables.
  RollupDelta(int64_t seconds, bool totals) : seconds_(seconds), totals_(totals) {}

  void add(const model::ScoredFlow& sf) {
    const auto& f = sf.flow;
    RollupKey k{
        static_cast<int64_t>(std::floor(*f.stime / static_cast<double>(seconds_))) * seconds_,
        totals_ ? std::string() : f.proto,
        totals_ ? std::string() : f.service,
        totals_ ? std::string() : f.state,
        sf.verdict.label,
        totals_ ? 0 : static_cast<int64_t>(f[flow::kCtStateTtl])};
    auto& s = groups_[std::move(k)];
    ++s.n;
    s.score_sum += sf.verdict.score;
    static constexpr flow::NumField kKpis[] = {flow::kSload,  flow::kDload,  flow::kSpkts,
                                               flow::kDpkts,  flow::kSjit,   flow::kDjit,
                                               flow::kTcprtt, flow::kSynack, flow::kAckdat};
    for (size_t i = 0; i < s.kpi_sum.size(); ++i) s.kpi_sum[i] += f[kKpis[i]];
  }

  // Sorted by key, so concurrent writers lock rollup rows in the same order.
  const std::map<RollupKey, RollupSums>& groups() const { return groups_; }

 private:
  int64_t seconds_;
  bool totals_;
  std::map<RollupKey, RollupSums> groups_;
};

}  // namespace flowsentry::store
