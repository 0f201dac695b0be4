#include "store/aggregate.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace flowsentry::store {

const char* rollup_table(const ReadPart& part) {
  if (part.rollup == kRollupFine) return part.totals ? "rollup_10s_total" : "rollup_10s";
  return part.totals ? "rollup_5m_total" : "rollup_5m";
}

std::vector<ReadPart> plan_reads(const Query& q, int64_t bucket, bool totals_ok) {
  if (!(q.to > q.from)) return {};
  if (q.to - q.from < kRawOnlyWindow) return {{q.from, q.to, 0}};
  const int64_t g = (bucket == 0 || bucket % kRollupCoarse == 0) ? kRollupCoarse : kRollupFine;
  // Rollup buckets are integers (PostgreSQL bigint): the rollup part stays within kFar of the
  // epoch, and a window reaching further (any pair of doubles is accepted) reads raw rows there.
  constexpr double kFar = 3e12;  // ~95,000 years; a multiple of every rollup size
  const double a =
      std::clamp(std::ceil(q.from / static_cast<double>(g)) * static_cast<double>(g), -kFar, kFar);
  const double b =
      std::clamp(std::floor(q.to / static_cast<double>(g)) * static_cast<double>(g), -kFar, kFar);
  if (!(a < b)) return {{q.from, q.to, 0}};
  std::vector<ReadPart> parts;
  if (q.from < a) parts.push_back({q.from, a, 0});
  parts.push_back({a, b, g, totals_ok});
  if (b < q.to) parts.push_back({b, q.to, 0});
  return parts;
}

namespace {

struct Sums {
  int64_t n = 0;
  int64_t anomalies = 0;
  double score_sum = 0;
  std::array<double, 9> kpi_sum{};
};

std::map<int64_t, Sums> by_bucket(const std::vector<AggRow>& rows) {
  std::map<int64_t, Sums> m;
  for (const auto& r : rows) {
    auto& s = m[std::stoll(r.key)];
    s.n += r.n;
    if (r.label == 1) s.anomalies += r.n;
    s.score_sum += r.score_sum;
    for (size_t i = 0; i < s.kpi_sum.size(); ++i) s.kpi_sum[i] += r.kpi_sum[i];
  }
  return m;
}

}  // namespace

ScoreSeries merge_score_series(const std::vector<AggRow>& rows, int64_t bucket) {
  ScoreSeries out;
  out.bucket_seconds = bucket;
  for (const auto& [t, s] : by_bucket(rows)) {
    if (s.n == 0) continue;
    out.points.push_back({t, s.n, s.anomalies, s.score_sum / static_cast<double>(s.n)});
  }
  return out;
}

KpiSeries merge_kpi_series(const std::vector<AggRow>& rows, int64_t bucket) {
  KpiSeries out;
  out.bucket_seconds = bucket;
  for (const auto& [t, s] : by_bucket(rows)) {
    if (s.n == 0) continue;
    const double n = static_cast<double>(s.n);
    const auto& k = s.kpi_sum;
    out.points.push_back({t, s.n, k[0] / n, k[1] / n, k[2] / n, k[3] / n, k[4] / n, k[5] / n,
                          k[6] / n, k[7] / n, k[8] / n});
  }
  return out;
}

Mix merge_mix(const std::vector<AggRow>& rows, int top_k) {
  std::map<std::string, MixEntry> m;
  for (const auto& r : rows) {
    auto& e = m[r.key];
    e.value = r.key;
    (r.label == 1 ? e.anomaly : e.normal) += r.n;
  }
  std::vector<MixEntry> all;
  for (auto& [k, e] : m) {
    if (e.normal + e.anomaly > 0) all.push_back(std::move(e));
  }
  std::stable_sort(all.begin(), all.end(), [](const MixEntry& a, const MixEntry& b) {
    return a.normal + a.anomaly > b.normal + b.anomaly;
  });
  Mix out;
  const size_t k = static_cast<size_t>(std::max(top_k, 0));
  for (size_t i = 0; i < all.size(); ++i) {
    if (i < k) {
      out.entries.push_back(all[i]);
      continue;
    }
    if (i == k) out.entries.push_back({"other", 0, 0});
    out.entries.back().normal += all[i].normal;
    out.entries.back().anomaly += all[i].anomaly;
  }
  return out;
}

std::vector<CtStateTtlCell> merge_ct_state_ttl(const std::vector<AggRow>& rows) {
  std::map<int64_t, CtStateTtlCell> m;
  for (const auto& r : rows) {
    auto& c = m[std::stoll(r.key)];
    c.ct_state_ttl = std::stoll(r.key);
    (r.label == 1 ? c.anomaly : c.normal) += r.n;
  }
  std::vector<CtStateTtlCell> out;
  for (auto& [k, c] : m) {
    if (c.normal + c.anomaly > 0) out.push_back(c);
  }
  return out;
}

}  // namespace flowsentry::store
