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

// Host rollups: per bucket, side and address, what top_hosts sums, at three sizes (coarsest
// first) so a window reads whole 6 h blocks, then whole hours, then whole 5 minutes, and raw
// flows only for the sub-5-minute remainder at each edge. Side kAny holds src + dst (a flow
// counts once per side the host is on), so role=any reads one row per host and bucket.
struct HostRollupLevel {
  const char* table;
  const char* time_column;
  int64_t seconds;
};
inline constexpr std::array<HostRollupLevel, 3> kHostRollupLevels{{
    {"host_rollup_6h", "bucket", 6 * 3600},
    {"host_rollup_1h", "hour", 3600},
    {"host_rollup_5m", "bucket", 300},
}};
enum class HostSide : int { kSrc = 0, kDst = 1, kAny = 2 };

struct HostRollupKey {
  int64_t bucket = 0;
  HostSide side = HostSide::kSrc;
  flow::AddressBytes address{};

  auto tie() const { return std::tie(side, bucket, address); }  // the tables' key order
  bool operator<(const HostRollupKey& o) const { return tie() < o.tie(); }
};

struct HostRollupSums {
  int64_t flows = 0;
  int64_t anomalies = 0;
  double bytes = 0;  // sbytes + dbytes
  double max_score = 0;
};
using HostRollupRows = std::map<HostRollupKey, HostRollupSums>;

class RollupBuilder {
 public:
  // Adds a flow that was inserted.
  void add(const model::ScoredFlow& sf);
  bool empty() const { return fine_.empty(); }
  // rollup_10s, rollup_5m, rollup_10s_total, rollup_5m_total.
  std::array<RollupTable, 4> tables() const;
  // A host rollup level's additions (kHostRollupLevels[level]) in key order (the same lock
  // order for concurrent writers).
  const HostRollupRows& hosts(size_t level) const { return hosts_[level]; }

 private:
  void add_host(const flow::AddressBytes& a, HostSide side, const model::ScoredFlow& sf);
  std::map<RollupKey, RollupSums> fine_, coarse_;
  std::array<HostRollupRows, kHostRollupLevels.size()> hosts_;
};

// A host rollup's upsert: "INSERT INTO host_rollup_1h AS r (hour, side, address, flows,
// anomalies, bytes, max_score)" and the conflict tail that adds counts and keeps the larger
// max_score (`greatest` names max(a, b) of the backend: "max" on SQLite, "greatest" on PostgreSQL).
std::string host_rollup_insert_head(const HostRollupLevel& level);
std::string host_rollup_conflict_tail(const HostRollupLevel& level, const char* greatest);

// "INSERT INTO <table> AS r (<key>, n, score_sum, <kpi>_sum...)" — the rows follow, in that
// column order — and the " ON CONFLICT (<key>) DO UPDATE SET ..." that adds to an existing row.
std::string rollup_insert_head(const RollupTable& t);
std::string rollup_conflict_tail(const RollupTable& t);
// Columns per row: 2 + 2 (+ 4 group columns unless totals) + 9 KPI sums.
int rollup_columns(const RollupTable& t);

}  // namespace flowsentry::store
