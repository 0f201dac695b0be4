// Rollups on write, shared by both backends: what one write adds to the four rollup tables
// (rollup_10s, rollup_5m and their per-(bucket, label) *_total twins) — per bucket and group
// (proto, service, state, label, ct_state_ttl) the count and the sums of score and the KPIs —
// and the upsert SQL that adds it. Only flows actually inserted are added, so re-writing a
// batch leaves the rollups unchanged.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>

#include "flow/address.h"
#include "model/verdict.h"
#include "store/aggregate.h"

namespace flowsentry::store {

// Text columns are views into the flows added: keep them alive while the key is used.
struct RollupKey {
  int64_t bucket = 0;
  std::string_view proto, service, state;  // empty in the *_total tables
  int label = 0;
  int64_t ct_state_ttl = 0;

  auto tie() const { return std::tie(bucket, proto, service, state, label, ct_state_ttl); }
  bool operator<(const RollupKey& o) const { return tie() < o.tie(); }
};

struct RollupSums {
  int64_t n = 0;
  double score_sum = 0;
  std::array<double, 9> kpi_sum{};  // in kKpiColumns order

  void add(const RollupSums& o);
};

// One rollup table's additions, sorted by key, so concurrent writers lock rollup rows in the
// same order.
struct RollupTable {
  const char* name = "";
  bool totals = false;  // keyed by (bucket, label) only
  std::map<RollupKey, RollupSums> groups;
};

// host_rollup_1h: per hour, side (source or destination) and address, what top_hosts sums.
inline constexpr int64_t kHostRollupSeconds = 3600;
enum class HostSide : int { kSrc = 0, kDst = 1 };

struct HostRollupKey {
  int64_t hour = 0;
  HostSide side = HostSide::kSrc;
  flow::AddressBytes address{};

  auto tie() const { return std::tie(hour, side, address); }
  bool operator<(const HostRollupKey& o) const { return tie() < o.tie(); }
};

struct HostRollupSums {
  int64_t flows = 0;
  int64_t anomalies = 0;
  double bytes = 0;  // sbytes + dbytes
  double max_score = 0;
};

class RollupBuilder {
 public:
  // Adds a flow that was inserted.
  void add(const model::ScoredFlow& sf);
  bool empty() const { return fine_.empty(); }
  // rollup_10s, rollup_5m, rollup_10s_total, rollup_5m_total.
  std::array<RollupTable, 4> tables() const;
  // host_rollup_1h's additions in key order (the same lock order for concurrent writers).
  const std::map<HostRollupKey, HostRollupSums>& hosts() const { return hosts_; }

 private:
  void add_host(int64_t hour, HostSide side, const std::optional<std::string>& ip,
                const model::ScoredFlow& sf);
  std::map<RollupKey, RollupSums> fine_, coarse_;
  std::map<HostRollupKey, HostRollupSums> hosts_;
};

// The host rollup's upsert: "INSERT INTO host_rollup_1h AS r (hour, side, address, flows,
// anomalies, bytes, max_score)" and the conflict tail that adds counts and keeps the larger
// max_score (`greatest` names max(a, b) of the backend: "max" on SQLite, "greatest" on PostgreSQL).
std::string host_rollup_insert_head();
std::string host_rollup_conflict_tail(const char* greatest);

// "INSERT INTO <table> AS r (<key>, n, score_sum, <kpi>_sum...)" — the rows follow, in that
// column order — and the " ON CONFLICT (<key>) DO UPDATE SET ..." that adds to an existing row.
std::string rollup_insert_head(const RollupTable& t);
std::string rollup_conflict_tail(const RollupTable& t);
// Columns per row: 2 + 2 (+ 4 group columns unless totals) + 9 KPI sums.
int rollup_columns(const RollupTable& t);

}  // namespace flowsentry::store
