#include "store/rollup.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace flowsentry::store {
namespace {

constexpr flow::NumField kKpis[] = {flow::kSload,  flow::kDload,  flow::kSpkts,
                                    flow::kDpkts,  flow::kSjit,   flow::kDjit,
                                    flow::kTcprtt, flow::kSynack, flow::kAckdat};
static_assert(std::size(kKpis) == kKpiColumns.size());

int64_t bucket_of(double t, int64_t seconds) {
  return static_cast<int64_t>(std::floor(t / static_cast<double>(seconds))) * seconds;
}

void add_to(std::map<RollupKey, RollupSums>& m, const RollupKey& k, const RollupSums& s) {
  m[k].add(s);
}

std::map<RollupKey, RollupSums> totals_of(const std::map<RollupKey, RollupSums>& groups) {
  std::map<RollupKey, RollupSums> out;
  for (const auto& [k, s] : groups) add_to(out, RollupKey{k.bucket, {}, {}, {}, k.label, 0}, s);
  return out;
}

}  // namespace

void RollupSums::add(const RollupSums& o) {
  n += o.n;
  score_sum += o.score_sum;
  for (size_t i = 0; i < kpi_sum.size(); ++i) kpi_sum[i] += o.kpi_sum[i];
}

void RollupBuilder::add(const model::ScoredFlow& sf) {
  const auto& f = sf.flow;
  RollupSums s;
  s.n = 1;
  s.score_sum = sf.verdict.score;
  for (size_t i = 0; i < s.kpi_sum.size(); ++i) s.kpi_sum[i] = f[kKpis[i]];
  RollupKey k{
      bucket_of(*f.stime, kRollupFine),          f.proto, f.service, f.state, sf.verdict.label,
      static_cast<int64_t>(f[flow::kCtStateTtl])};
  add_to(fine_, k, s);
  k.bucket = bucket_of(*f.stime, kRollupCoarse);
  add_to(coarse_, k, s);
  // check_batch has made sure a present address parses.
  if (f.srcip) {
    if (auto a = flow::parse_address(*f.srcip)) {
      add_host(*a, HostSide::kSrc, sf);
      add_host(*a, HostSide::kAny, sf);
    }
  }
  if (f.dstip) {
    if (auto a = flow::parse_address(*f.dstip)) {
      add_host(*a, HostSide::kDst, sf);
      add_host(*a, HostSide::kAny, sf);
    }
  }
}

void RollupBuilder::add_host(const flow::AddressBytes& a, HostSide side,
                             const model::ScoredFlow& sf) {
  for (size_t level = 0; level < kHostRollupLevels.size(); ++level) {
    const int64_t bucket = bucket_of(*sf.flow.stime, kHostRollupLevels[level].seconds);
    auto& h = hosts_[level][HostRollupKey{bucket, side, a}];
    ++h.flows;
    h.anomalies += sf.verdict.label;
    h.bytes += sf.flow[flow::kSbytes] + sf.flow[flow::kDbytes];
    h.max_score = h.flows == 1 ? sf.verdict.score : std::max(h.max_score, sf.verdict.score);
  }
}

std::array<RollupTable, 4> RollupBuilder::tables() const {
  return {RollupTable{"rollup_10s", false, fine_}, RollupTable{"rollup_5m", false, coarse_},
          RollupTable{"rollup_10s_total", true, totals_of(fine_)},
          RollupTable{"rollup_5m_total", true, totals_of(coarse_)}};
}

namespace {
const char* key_columns(const RollupTable& t) {
  return t.totals ? "bucket, label" : "bucket, proto, service, state, label, ct_state_ttl";
}
}  // namespace

std::string rollup_insert_head(const RollupTable& t) {
  std::string sql = fmt::format("INSERT INTO {} AS r ({}, n, score_sum", t.name, key_columns(t));
  for (const char* c : kKpiColumns) sql += fmt::format(", {}_sum", c);
  return sql + ")";
}

std::string rollup_conflict_tail(const RollupTable& t) {
  std::string sql = fmt::format(
      " ON CONFLICT ({}) DO UPDATE SET n = r.n + excluded.n, score_sum = r.score_sum + "
      "excluded.score_sum",
      key_columns(t));
  for (const char* c : kKpiColumns)
    sql += fmt::format(", {0}_sum = r.{0}_sum + excluded.{0}_sum", c);
  return sql;
}

std::string host_rollup_insert_head(const HostRollupLevel& level) {
  return fmt::format("INSERT INTO {} AS r ({}, side, address, flows, anomalies, bytes, max_score)",
                     level.table, level.time_column);
}

std::string host_rollup_conflict_tail(const HostRollupLevel& level, const char* greatest) {
  return fmt::format(
      " ON CONFLICT (side, {}, address) DO UPDATE SET flows = r.flows + excluded.flows, "
      "anomalies = r.anomalies + excluded.anomalies, bytes = r.bytes + excluded.bytes, "
      "max_score = {}(r.max_score, excluded.max_score)",
      level.time_column, greatest);
}

int rollup_columns(const RollupTable& t) {
  return (t.totals ? 2 : 6) + 2 + static_cast<int>(kKpiColumns.size());
}

}  // namespace flowsentry::store
