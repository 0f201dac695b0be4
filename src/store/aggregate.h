// Aggregate queries, backend-neutral: how a window splits into raw-row and rollup reads, and
// how the partial groups those reads return become the dashboard's series and mixes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "store/store.h"

namespace flowsentry::store {

// Rollup granularities kept on write, finest first.
inline constexpr int64_t kRollupFine = 10;
inline constexpr int64_t kRollupCoarse = 300;
// Windows shorter than this are read from raw rows only.
inline constexpr double kRawOnlyWindow = 900;

// The KPI columns, in the order of KpiPoint's fields and the *_sum rollup columns.
inline constexpr std::array<const char*, 9> kKpiColumns{
    "sload", "dload", "spkts", "dpkts", "sjit", "djit", "tcprtt", "synack", "ackdat"};

// One read: rows with time in [lo, hi), from anomaly_scores (rollup == 0) or a rollup table.
struct ReadPart {
  double lo = 0;
  double hi = 0;
  int64_t rollup = 0;
  bool totals = false;  // read the per-(bucket, label) totals table of that rollup
};

// The table a rollup part reads.
const char* rollup_table(const ReadPart& part);

// Splits q's window so the aligned middle comes from a rollup and the ragged edges from raw
// rows. `bucket` is the series bucket (0 for queries not grouped by time); the coarse rollup
// is used only when it divides the bucket.
// With `totals_ok` (no filters, grouped by time or not at all) the rollup part reads the
// per-(bucket, label) totals instead of the per-group rows.
std::vector<ReadPart> plan_reads(const Query& q, int64_t bucket, bool totals_ok = false);

enum class GroupBy { kBucket, kProto, kState, kService, kCtStateTtl, kNone };

// One group of a partial read: key (bucket start, proto, state, ct_state_ttl or ""), label.
struct AggRow {
  std::string key;
  int label = 0;
  int64_t n = 0;
  double score_sum = 0;
  std::array<double, 9> kpi_sum{};
};

ScoreSeries merge_score_series(const std::vector<AggRow>& rows, int64_t bucket);
KpiSeries merge_kpi_series(const std::vector<AggRow>& rows, int64_t bucket);
Mix merge_mix(const std::vector<AggRow>& rows, int top_k);
std::vector<CtStateTtlCell> merge_ct_state_ttl(const std::vector<AggRow>& rows);

}  // namespace flowsentry::store
