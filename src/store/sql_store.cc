#include "store/sql_store.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <map>

#include <fmt/format.h>

#include "store/migrations.h"

namespace flowsentry::store {

double cell_double(const std::optional<std::string>& cell) {
  if (!cell || cell->empty()) return 0;
  return std::strtod(cell->c_str(), nullptr);
}

int64_t cell_int(const std::optional<std::string>& cell) {
  if (!cell || cell->empty()) return 0;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(cell->data(), cell->data() + cell->size(), v);
  if (ec != std::errc() || p != cell->data() + cell->size()) {
    return static_cast<int64_t>(std::strtod(cell->c_str(), nullptr));
  }
  return v;
}

namespace {

// `column = ?` for one value, `column IN (?, ...)` for a comma-separated list.
void add_filter(const char* column, const std::string& list, std::string& sql,
                std::vector<SqlParam>& params) {
  if (list.empty()) return;
  const auto values = filter_values(list);
  if (values.size() == 1) {
    sql += fmt::format(" AND {} = ?", column);
  } else {
    sql += fmt::format(" AND {} IN (?", column);
    for (size_t i = 1; i < values.size(); ++i) sql += ",?";
    sql += ")";
  }
  for (const auto& v : values) params.emplace_back(v);
}

}  // namespace

void add_query_filters(const Query& q, std::string& sql, std::vector<SqlParam>& params) {
  add_filter("proto", q.proto, sql, params);
  add_filter("service", q.service, sql, params);
  add_filter("state", q.state, sql, params);
}

namespace {

void add_filters(const Query& q, std::string& sql, std::vector<SqlParam>& params) {
  add_query_filters(q, sql, params);
}

Status check_window(const Query& q) {
  if (!(q.to > q.from)) {
    return make_error(
        ErrorCode::kInvalidArgument,
        fmt::format("empty time window [{}, {}): 'to' must be after 'from'", q.from, q.to),
        "store query");
  }
  return {};
}

constexpr const char* kFlowColumns =
    "stime, source, source_partition, source_offset, score, label, attack_cat, proto, service, "
    "state, model_version, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, tcprtt, "
    "synack, ackdat, ct_state_ttl, explanation, ltime, srcip, sport, dstip, dsport, sbytes, "
    "dbytes";

StoredFlow flow_from_row(const SqlRow& r) {
  StoredFlow f;
  f.stime = cell_double(r[0]);
  f.key.source = r[1].value_or("");
  f.key.partition = cell_int(r[2]);
  f.key.offset = cell_int(r[3]);
  f.score = cell_double(r[4]);
  f.label = static_cast<int>(cell_int(r[5]));
  f.attack_cat = r[6].value_or("");
  f.proto = r[7].value_or("");
  f.service = r[8].value_or("");
  f.state = r[9].value_or("");
  f.model_version = r[10].value_or("");
  double* nums[] = {&f.sload, &f.dload, &f.spkts, &f.dpkts,  &f.sjit,   &f.djit,
                    &f.sttl,  &f.dttl,  &f.dur,   &f.tcprtt, &f.synack, &f.ackdat};
  for (size_t i = 0; i < std::size(nums); ++i) *nums[i] = cell_double(r[11 + i]);
  f.ct_state_ttl = cell_int(r[23]);
  f.explanation_json = r[24].value_or("");
  if (r[25]) f.ltime = cell_double(r[25]);
  if (r[27]) f.sport = cell_int(r[27]);
  if (r[29]) f.dsport = cell_int(r[29]);
  f.sbytes = cell_double(r[30]);
  f.dbytes = cell_double(r[31]);
  return f;
}

}  // namespace

const char* const kStoredFlowColumns = kFlowColumns;

Result<std::vector<AggRow>> SqlStore::aggregate(const Query& q, GroupBy by, int64_t bucket,
                                                bool kpis) {
  std::vector<AggRow> out;
  const bool unfiltered = q.proto.empty() && q.service.empty() && q.state.empty();
  const bool totals_ok = unfiltered && (by == GroupBy::kBucket || by == GroupBy::kNone);
  for (const auto& part : plan_reads(q, bucket, totals_ok)) {
    const bool raw = part.rollup == 0;
    std::string key;
    switch (by) {
      case GroupBy::kBucket:
        key = raw ? bucket_expr(bucket) : fmt::format("(bucket / {0}) * {0}", bucket);
        break;
      case GroupBy::kProto:
        key = "proto";
        break;
      case GroupBy::kState:
        key = "state";
        break;
      case GroupBy::kService:
        key = "service";
        break;
      case GroupBy::kCtStateTtl:
        key = "ct_state_ttl";
        break;
      case GroupBy::kNone:
        key = "0";
        break;
    }
    std::string sql = fmt::format("SELECT {} AS k, label, {}, {}", key, raw ? "count(*)" : "sum(n)",
                                  raw ? "sum(score)" : "sum(score_sum)");
    if (kpis) {
      for (const char* c : kKpiColumns) {
        sql += raw ? fmt::format(", sum({})", c) : fmt::format(", sum({}_sum)", c);
      }
    }
    sql += fmt::format(" FROM {} WHERE {} >= ? AND {} < ?",
                       raw ? "anomaly_scores" : rollup_table(part), raw ? "stime" : "bucket",
                       raw ? "stime" : "bucket");
    std::vector<SqlParam> params{part.lo, part.hi};
    add_filters(q, sql, params);
    sql += " GROUP BY 1, 2";
    auto rows = query(sql, params);
    if (!rows.ok()) return rows.error();
    for (const auto& r : *rows) {
      AggRow a;
      a.key = r[0].value_or("");
      a.label = static_cast<int>(cell_int(r[1]));
      a.n = cell_int(r[2]);
      a.score_sum = cell_double(r[3]);
      if (kpis) {
        for (size_t i = 0; i < a.kpi_sum.size(); ++i) a.kpi_sum[i] = cell_double(r[4 + i]);
      }
      out.push_back(std::move(a));
    }
  }
  return out;
}

Result<ScoreSeries> SqlStore::score_series(const Query& q) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  const int64_t b = bucket_seconds_for(q.to - q.from);
  auto rows = aggregate(q, GroupBy::kBucket, b, false);
  if (!rows.ok()) return rows.error();
  return merge_score_series(*rows, b);
}

Result<KpiSeries> SqlStore::kpi_series(const Query& q) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  const int64_t b = bucket_seconds_for(q.to - q.from);
  auto rows = aggregate(q, GroupBy::kBucket, b, true);
  if (!rows.ok()) return rows.error();
  return merge_kpi_series(*rows, b);
}

Result<Mix> SqlStore::mix(const Query& q, MixColumn column, int top_k) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  auto by = column == MixColumn::kProto   ? GroupBy::kProto
            : column == MixColumn::kState ? GroupBy::kState
                                          : GroupBy::kService;
  auto rows = aggregate(q, by, 0, false);
  if (!rows.ok()) return rows.error();
  return merge_mix(*rows, top_k);
}

Result<std::vector<CtStateTtlCell>> SqlStore::ct_state_ttl_counts(const Query& q) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  auto rows = aggregate(q, GroupBy::kCtStateTtl, 0, false);
  if (!rows.ok()) return rows.error();
  return merge_ct_state_ttl(*rows);
}

Result<int64_t> SqlStore::count(const Query& q) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  auto rows = aggregate(q, GroupBy::kNone, 0, false);
  if (!rows.ok()) return rows.error();
  int64_t n = 0;
  for (const auto& r : *rows) n += r.n;
  return n;
}

Result<std::vector<StoredFlow>> SqlStore::flows(const Query& q, const std::string& from,
                                                const std::string& extra_where,
                                                const std::string& order_by, int limit) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  std::string sql = fmt::format("SELECT {} FROM {} WHERE stime >= ? AND stime < ?{}", kFlowColumns,
                                from, extra_where);
  std::vector<SqlParam> params{q.from, q.to};
  add_filters(q, sql, params);
  sql += " ORDER BY " + order_by + " LIMIT ?";
  params.emplace_back(static_cast<int64_t>(std::max(limit, 0)));
  return query_flows(sql, params);
}

Result<std::vector<ScoreSample>> SqlStore::score_samples(const Query& q, int limit) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  std::string sql = "SELECT stime, score, label FROM anomaly_scores WHERE stime >= ? AND stime < ?";
  std::vector<SqlParam> params{q.from, q.to};
  add_filters(q, sql, params);
  sql += " ORDER BY stime DESC LIMIT ?";
  params.emplace_back(static_cast<int64_t>(std::max(limit, 0)));
  auto rows = query(sql, params);
  if (!rows.ok()) return rows.error();
  std::vector<ScoreSample> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    out.push_back({cell_double(r[0]), cell_double(r[1]), static_cast<int>(cell_int(r[2]))});
  }
  return out;
}

Result<std::vector<StoredFlow>> SqlStore::query_flows(const std::string& sql,
                                                      std::span<const SqlParam> params) {
  auto rows = query(sql, params);
  if (!rows.ok()) return rows.error();
  std::vector<StoredFlow> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    out.push_back(flow_from_row(r));
    out.back().srcip = address_from_cell(r[26]);
    out.back().dstip = address_from_cell(r[28]);
  }
  return out;
}

Result<std::vector<StoredFlow>> SqlStore::recent_anomalies(const Query& q, int limit) {
  return flows(q, "anomaly_scores", " AND label = 1",
               "stime DESC, source, source_partition, source_offset", limit);
}

// Hour by hour through the (hour, score) index: the top `limit` of each hour the window touches,
// then the top `limit` of those. New rows land at the current hour's end of that index, which a
// plain (score) index would scatter over the whole table.
// Among equal scores (they saturate near 1), flows with a stored explanation come first: the
// pipeline explains only some anomalies, and the top table is where users open one.
Result<std::vector<StoredFlow>> SqlStore::top_scores(const Query& q, int limit) {
  constexpr const char* kOrder =
      "score DESC, explanation LIKE '%\"top_features\":[]%', stime DESC, source, "
      "source_partition, source_offset";
  constexpr int64_t kHour = 3600;
  constexpr int64_t kMaxHours = 400;  // SQLite allows 500 terms in a UNION ALL
  if (auto st = check_window(q); !st.ok()) return st.error();
  // Decided in doubles: a window may be any pair of doubles (1e308), whose hours no int64 holds.
  const double first_hour = std::floor(q.from / kHour), last_hour = std::ceil(q.to / kHour);
  if (!(last_hour - first_hour <= kMaxHours) || !(std::fabs(first_hour) < 1e12)) {
    return flows(q, "anomaly_scores", "", kOrder, limit);
  }
  const auto first = static_cast<int64_t>(first_hour) * kHour;
  const auto last = static_cast<int64_t>(last_hour) * kHour;  // exclusive
  const auto n = int64_t{std::max(limit, 0)};
  const std::string hour = bucket_expr(kHour);
  std::string sql;
  std::vector<SqlParam> params;
  for (int64_t h = first; h < last; h += kHour) {
    if (!sql.empty()) sql += " UNION ALL ";
    sql += fmt::format(
        "SELECT * FROM (SELECT {} FROM anomaly_scores WHERE {} = ? AND stime >= ? "
        "AND stime < ?",
        kFlowColumns, hour);
    params.insert(params.end(), {h, std::max(q.from, static_cast<double>(h)),
                                 std::min(q.to, static_cast<double>(h + kHour))});
    add_filters(q, sql, params);
    // Ties on score all come along where the backend can say so, so each hour reads in index
    // order and stops; the outer sort orders them exactly.
    sql += fetch_with_ties() ? " ORDER BY score DESC FETCH FIRST ? ROWS WITH TIES"
                             : fmt::format(" ORDER BY {} LIMIT ?", kOrder);
    sql += fmt::format(") AS h{}", (h - first) / kHour);
    params.emplace_back(n);
  }
  sql = fmt::format("SELECT * FROM ({}) AS hours ORDER BY {} LIMIT ?", sql, kOrder);
  params.emplace_back(n);
  return query_flows(sql, params);
}

Result<std::vector<MigrationState>> SqlStore::migration_status() {
  std::map<int64_t, MigrationState> all;
  for (const auto& m : migrations_for(backend())) {
    all[m.version] = {m.version, std::string(m.name), false, std::nullopt};
  }
  auto exists = query(migrations_table_exists_sql(), {});
  if (!exists.ok()) return exists.error();
  if (!exists->empty()) {
    auto rows = query("SELECT version, name, applied_at FROM schema_migrations", {});
    if (!rows.ok()) return rows.error();
    for (const auto& r : *rows) {
      auto& s = all[cell_int(r[0])];
      s.version = cell_int(r[0]);
      if (s.name.empty()) s.name = r[1].value_or("");
      s.applied = true;
      s.applied_at = cell_double(r[2]);
    }
  }
  std::vector<MigrationState> out;
  for (auto& [v, s] : all) out.push_back(std::move(s));
  return out;
}

Status SqlStore::record_alert(const StoredAlert& a) {
  std::vector<SqlParam> params{a.id,
                               a.type,
                               a.key,
                               a.created,
                               a.payload_json,
                               a.delivery_status,
                               int64_t{a.acknowledged ? 1 : 0},
                               a.snoozed_until ? SqlParam{*a.snoozed_until} : SqlParam{nullptr}};
  auto r = query(
      "INSERT INTO alerts (id, type, key, created, payload_json, delivery_status, acknowledged, "
      "snoozed_until) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
      "type = excluded.type, key = excluded.key, created = excluded.created, "
      "payload_json = excluded.payload_json, delivery_status = excluded.delivery_status, "
      "acknowledged = excluded.acknowledged, snoozed_until = excluded.snoozed_until",
      params);
  if (!r.ok()) return r.error();
  return {};
}

namespace {
Status found_or_error(const Result<std::vector<SqlRow>>& r, std::string_view id) {
  if (!r.ok()) return r.error();
  if (r->empty()) {
    return make_error(ErrorCode::kNotFound, "no alert with this id (list alerts to see ids)",
                      fmt::format("alert {}", id));
  }
  return {};
}
}  // namespace

Status SqlStore::acknowledge_alert(std::string_view id, bool acknowledged) {
  std::vector<SqlParam> params{int64_t{acknowledged ? 1 : 0}, std::string(id)};
  return found_or_error(
      query("UPDATE alerts SET acknowledged = ? WHERE id = ? RETURNING id", params), id);
}

Status SqlStore::snooze_alert(std::string_view id, std::optional<double> until) {
  std::vector<SqlParam> params{until ? SqlParam{*until} : SqlParam{nullptr}, std::string(id)};
  return found_or_error(
      query("UPDATE alerts SET snoozed_until = ? WHERE id = ? RETURNING id", params), id);
}

Result<std::vector<StoredAlert>> SqlStore::list_alerts(double from, double to, int limit) {
  std::vector<SqlParam> params{from, to, int64_t{std::max(limit, 0)}};
  return select_alerts("created >= ? AND created < ?", params);
}

// Candidates by LIKE, then names_address drops the longer addresses LIKE also matched
// (10.0.0.50 for 10.0.0.5); at most 10,000 candidates are read.
Result<std::vector<StoredAlert>> SqlStore::alerts_naming(double from, double to,
                                                         std::string_view ip, int limit) {
  std::vector<SqlParam> params{from, to, fmt::format("%{}%", ip), int64_t{10000}};
  auto all = select_alerts("created >= ? AND created < ? AND payload_json LIKE ?", params);
  if (!all.ok()) return all.error();
  std::vector<StoredAlert> out;
  for (auto& a : *all) {
    if (static_cast<int>(out.size()) >= limit) break;
    if (names_address(a.payload_json, ip)) out.push_back(std::move(a));
  }
  return out;
}

// `where`'s parameters then the limit.
Result<std::vector<StoredAlert>> SqlStore::select_alerts(const std::string& where,
                                                         std::span<const SqlParam> params) {
  auto rows = query(
      "SELECT id, type, key, created, payload_json, delivery_status, acknowledged, snoozed_until "
      "FROM alerts WHERE " +
          where + " ORDER BY created DESC, id LIMIT ?",
      params);
  if (!rows.ok()) return rows.error();
  std::vector<StoredAlert> out;
  for (const auto& r : *rows) {
    StoredAlert a;
    a.id = r[0].value_or("");
    a.type = r[1].value_or("");
    a.key = r[2].value_or("");
    a.created = cell_double(r[3]);
    a.payload_json = r[4].value_or("");
    a.delivery_status = r[5].value_or("");
    a.acknowledged = cell_int(r[6]) != 0;
    if (r[7]) a.snoozed_until = cell_double(r[7]);
    out.push_back(std::move(a));
  }
  return out;
}

Status SqlStore::record_drift(const DriftEvent& e) {
  std::vector<SqlParam> params{e.time, e.kind, e.measure, e.value, e.threshold, e.details_json};
  auto r = query(
      "INSERT INTO drift_events (event_time, kind, measure, value, threshold, details_json) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      params);
  if (!r.ok()) return r.error();
  return {};
}

Result<std::vector<DriftEvent>> SqlStore::list_drift(double from, double to, int limit) {
  std::vector<SqlParam> params{from, to, int64_t{std::max(limit, 0)}};
  auto rows = query(
      "SELECT event_time, kind, measure, value, threshold, details_json FROM drift_events "
      "WHERE event_time >= ? AND event_time < ? ORDER BY event_time DESC, id DESC LIMIT ?",
      params);
  if (!rows.ok()) return rows.error();
  std::vector<DriftEvent> out;
  for (const auto& r : *rows) {
    out.push_back({cell_double(r[0]), r[1].value_or(""), r[2].value_or(""), cell_double(r[3]),
                   cell_double(r[4]), r[5].value_or("")});
  }
  return out;
}

}  // namespace flowsentry::store
