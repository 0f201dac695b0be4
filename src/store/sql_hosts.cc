// SqlStore's host queries: the flow list with address, port and label filters (keyset pages),
// top hosts, and one host's summary, timeline, peers, ports and categories. Both backends keep
// partial (srcip, stime) and (dstip, stime) indexes, so "a host in a window" and CIDR filters
// are range scans of those.
#include <algorithm>
#include <cmath>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "store/rollup.h"
#include "store/sql_store.h"
#include "store/write_batch.h"

namespace flowsentry::store {
namespace {

constexpr const char* kNewestFirst =
    "stime DESC, source DESC, source_partition DESC, source_offset DESC";

Status check_window(const Query& q) {
  if (!(q.to > q.from)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("empty time window [{}, {})", q.from, q.to), "store query");
  }
  return {};
}

const char* host_order(HostOrder by) {
  switch (by) {
    case HostOrder::kAnomalies:
      return "anomalies DESC, flows DESC, ip";
    case HostOrder::kBytes:
      return "bytes DESC, flows DESC, ip";
    case HostOrder::kFlows:
      break;
  }
  return "flows DESC, anomalies DESC, ip";
}

// Splits [lo, hi) into whole buckets of `level` and the edges left over, which go to the next
// finer level (or to the raw flows after the finest). Clamped to the times a store holds, so
// any pair of doubles is fine.
void split_window(double lo, double hi, size_t level, std::vector<HostWindowPart>& out) {
  if (!(lo < hi)) return;
  if (level == kHostRollupLevels.size()) {
    out.push_back({-1, lo, hi});
    return;
  }
  const auto seconds = static_cast<double>(kHostRollupLevels[level].seconds);
  const double a = std::clamp(std::ceil(lo / seconds) * seconds, 0.0, kMaxStoredTime);
  const double b = std::clamp(std::floor(hi / seconds) * seconds, 0.0, kMaxStoredTime);
  if (!(a < b)) {
    split_window(lo, hi, level + 1, out);
    return;
  }
  split_window(lo, a, level + 1, out);
  out.push_back({static_cast<int>(level), a, b});
  split_window(b, hi, level + 1, out);
}

int side_of(HostRole role) {
  return static_cast<int>(role == HostRole::kSrc   ? HostSide::kSrc
                          : role == HostRole::kDst ? HostSide::kDst
                                                   : HostSide::kAny);
}

}  // namespace

std::vector<HostWindowPart> host_window_parts(const Query& q) {
  std::vector<HostWindowPart> parts;
  if (!q.proto.empty() || !q.service.empty() || !q.state.empty()) {
    parts.push_back({-1, q.from, q.to});
  } else {
    split_window(q.from, q.to, 0, parts);
  }
  return parts;
}

Result<FlowPage> SqlStore::list_flows(const Query& q, const FlowFilter& filter,
                                      const std::optional<FlowCursor>& after, int limit) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  std::vector<SqlParam> params{q.from, q.to};
  std::string sql = fmt::format("SELECT {} FROM anomaly_scores WHERE stime >= ? AND stime < ?",
                                kStoredFlowColumns);
  add_query_filters(q, sql, params);
  if (filter.host) {
    sql += " AND (";
    sql += address_condition("srcip", *filter.host, params);
    sql += " OR ";
    sql += address_condition("dstip", *filter.host, params);
    sql += ")";
  }
  if (filter.src) sql += " AND " + address_condition("srcip", *filter.src, params);
  if (filter.dst) sql += " AND " + address_condition("dstip", *filter.dst, params);
  if (filter.port) {
    sql += " AND (sport = ? OR dsport = ?)";
    params.insert(params.end(), {*filter.port, *filter.port});
  }
  if (filter.anomalies) sql += *filter.anomalies ? " AND label = 1" : " AND label = 0";
  if (after && !filter.by_score) {
    // Keyset: strictly after the cursor in kNewestFirst order; `stime <= ?` keeps it a range.
    sql += " AND stime <= ? AND (stime, source, source_partition, source_offset) < (?, ?, ?, ?)";
    params.insert(params.end(), {after->stime, after->stime, after->key.source,
                                 after->key.partition, after->key.offset});
  }
  const int n = std::max(limit, 1);
  sql += fmt::format(" ORDER BY {}{} LIMIT ?", filter.by_score ? "score DESC, " : "", kNewestFirst);
  params.emplace_back(int64_t{n} + 1);  // one more says whether a next page exists
  auto rows = query_flows(sql, params);
  if (!rows.ok()) return rows.error();
  FlowPage page;
  page.flows = std::move(*rows);
  if (static_cast<int>(page.flows.size()) > n) {
    page.flows.resize(static_cast<size_t>(n));
    if (!filter.by_score) page.next = FlowCursor{page.flows.back().stime, page.flows.back().key};
  }
  return page;
}

Result<std::optional<StoredFlow>> SqlStore::find_flow(const FlowCursor& id) {
  std::vector<SqlParam> params{id.stime, id.key.source, id.key.partition, id.key.offset};
  auto rows =
      query_flows(fmt::format("SELECT {} FROM anomaly_scores WHERE stime = ? AND source = ? AND "
                              "source_partition = ? AND source_offset = ?",
                              kStoredFlowColumns),
                  params);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return std::optional<StoredFlow>{};
  return std::optional<StoredFlow>{std::move(rows->front())};
}

// One side's flows in [lo, hi) grouped by address, with the query's filters.
std::string SqlStore::host_side_sql(const Query& q, const char* column, double lo, double hi,
                                    std::vector<SqlParam>& params) const {
  std::string s = fmt::format(
      "SELECT {0} AS ip, count(*) AS flows, sum(label) AS anomalies, sum(sbytes + dbytes) AS "
      "bytes, max(score) AS max_score FROM anomaly_scores WHERE stime >= ? AND stime < ? AND "
      "{0} IS NOT NULL",
      column);
  params.insert(params.end(), {lo, hi});
  add_query_filters(q, s, params);
  return s + fmt::format(" GROUP BY {}", column);
}

Status SqlStore::add_host_rollup(std::span<const HostWindowPart>, HostRole, HostSums&) {
  return make_error(ErrorCode::kInternal, "this backend sums the host rollups in SQL", "store");
}

void add_host_sums(HostStat& h, int64_t flows, int64_t anomalies, double bytes, double max_score) {
  h.max_score = h.flows == 0 ? max_score : std::max(h.max_score, max_score);
  h.flows += flows;
  h.anomalies += anomalies;
  h.bytes += bytes;
}

// Top hosts: whole 6 h blocks, hours and 5 minutes come from the host rollups and the rest at
// the window's edges (under 5 minutes each) from the flows (range scans of the stime index),
// summed per address: exactly what grouping every flow of the window gives. Summed in SQL, or
// here where the backend scans the rollups faster than its GROUP BY sorts their rows (SQLite).
Result<std::vector<HostStat>> SqlStore::top_hosts(const Query& q, HostOrder by, HostRole role,
                                                  int limit) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  const auto parts = host_window_parts(q);
  if (!sums_host_rollup_here()) return top_hosts_in_sql(q, by, role, limit, parts);
  HostSums sums;
  if (auto st = add_host_rollup(parts, role, sums); !st.ok()) return st.error();
  for (const auto& part : parts) {
    if (part.level >= 0) continue;
    for (HostRole side : {HostRole::kSrc, HostRole::kDst}) {
      if (role != HostRole::kAny && role != side) continue;
      const char* column = side == HostRole::kSrc ? "srcip" : "dstip";
      std::vector<SqlParam> params;
      const std::string sql = host_side_sql(q, column, part.lo, part.hi, params);
      auto rows = query(sql, params);
      if (!rows.ok()) return rows.error();
      for (const auto& r : *rows) {
        add_host_sums(sums[r[0].value_or("")], cell_int(r[1]), cell_int(r[2]), cell_double(r[3]),
                      cell_double(r[4]));
      }
    }
  }
  return ranked_hosts(sums, by, limit);
}

// The `limit` first of `sums` in host_order(by) (ties by address), addresses as text.
std::vector<HostStat> SqlStore::ranked_hosts(HostSums& sums, HostOrder by, int limit) const {
  struct Ranked {
    HostStat stat;
    flow::AddressBytes address{};
  };
  std::vector<Ranked> all;
  all.reserve(sums.size());
  for (auto& [cell, h] : sums) {
    h.ip = address_from_cell(cell).value_or("");
    const auto address = flow::parse_address(h.ip).value_or(flow::AddressBytes{});
    all.push_back({std::move(h), address});
  }
  auto key = [by](const HostStat& h) {
    const auto f = static_cast<double>(h.flows), n = static_cast<double>(h.anomalies);
    return by == HostOrder::kAnomalies ? std::tuple(n, f)
           : by == HostOrder::kBytes   ? std::tuple(h.bytes, f)
                                       : std::tuple(f, n);
  };
  auto before = [&](const Ranked& x, const Ranked& y) {
    const auto kx = key(x.stat), ky = key(y.stat);
    if (kx != ky) return kx > ky;
    return x.address < y.address;
  };
  const size_t n = std::min(all.size(), static_cast<size_t>(std::max(limit, 0)));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), before);
  std::vector<HostStat> out;
  for (size_t i = 0; i < n; ++i) out.push_back(std::move(all[i].stat));
  return out;
}

// The whole query in SQL: the rollup parts on the role's side and the flows of the raw parts,
// grouped per address; the server keeps only the top rows.
Result<std::vector<HostStat>> SqlStore::top_hosts_in_sql(const Query& q, HostOrder by,
                                                         HostRole role, int limit,
                                                         std::span<const HostWindowPart> parts) {
  std::vector<SqlParam> params;
  std::vector<std::string> selects;
  for (const auto& part : parts) {
    if (part.level >= 0) {
      const auto& l = kHostRollupLevels[static_cast<size_t>(part.level)];
      selects.push_back(fmt::format(
          "SELECT address AS ip, flows, anomalies, bytes, max_score FROM {} WHERE {} >= ? AND {} "
          "< ? AND side = ?",
          l.table, l.time_column, l.time_column));
      params.insert(params.end(), {static_cast<int64_t>(part.lo), static_cast<int64_t>(part.hi),
                                   int64_t{side_of(role)}});
      continue;
    }
    if (role != HostRole::kDst)
      selects.push_back(host_side_sql(q, "srcip", part.lo, part.hi, params));
    if (role != HostRole::kSrc)
      selects.push_back(host_side_sql(q, "dstip", part.lo, part.hi, params));
  }
  if (selects.empty()) return std::vector<HostStat>{};
  std::string sql;
  if (selects.size() == 1 && parts.front().level < 0) {
    sql = selects.front();  // one side's flows, already grouped
  } else {
    std::string all = selects.front();
    for (size_t i = 1; i < selects.size(); ++i) all += " UNION ALL " + selects[i];
    sql = fmt::format(
        "SELECT ip, sum(flows) AS flows, sum(anomalies) AS anomalies, sum(bytes) AS bytes, "
        "max(max_score) AS max_score FROM ({}) AS parts GROUP BY ip",
        all);
  }
  sql = fmt::format("SELECT * FROM ({}) AS hosts ORDER BY {} LIMIT ?", sql, host_order(by));
  params.emplace_back(int64_t{std::max(limit, 0)});
  auto rows = query(sql, params);
  if (!rows.ok()) return rows.error();
  std::vector<HostStat> out;
  for (const auto& r : *rows) {
    out.push_back({address_from_cell(r[0]).value_or(""), cell_int(r[1]), cell_int(r[2]),
                   cell_double(r[3]), cell_double(r[4])});
  }
  return out;
}

// The window, the query's filters and "the host on either side", for the host's own flows.
std::string SqlStore::host_where(const Query& q, const AddressRange& host,
                                 std::vector<SqlParam>& params) const {
  std::string sql = "stime >= ? AND stime < ?";
  params.insert(params.end(), {q.from, q.to});
  add_query_filters(q, sql, params);
  sql += " AND (";
  sql += address_condition("srcip", host, params);
  sql += " OR ";
  sql += address_condition("dstip", host, params);
  return sql + ")";
}

Result<HostSummary> SqlStore::host_summary(const Query& q, const AddressRange& host) {
  std::vector<SqlParam> params;
  // Conditions are built one statement at a time: each appends its parameters in SQL order.
  std::string sql = "SELECT count(*), sum(label), sum(CASE WHEN ";
  sql += address_condition("srcip", host, params);
  sql += " THEN sbytes ELSE 0 END + CASE WHEN ";
  sql += address_condition("dstip", host, params);
  sql += " THEN dbytes ELSE 0 END), sum(CASE WHEN ";
  sql += address_condition("srcip", host, params);
  sql += " THEN dbytes ELSE 0 END + CASE WHEN ";
  sql += address_condition("dstip", host, params);
  sql +=
      " THEN sbytes ELSE 0 END), min(stime), max(coalesce(ltime, stime)) FROM anomaly_scores "
      "WHERE ";
  sql += host_where(q, host, params);
  auto rows = query(sql, params);
  if (!rows.ok()) return rows.error();
  HostSummary s;
  if (rows->empty()) return s;
  const auto& r = rows->front();
  s.flows = cell_int(r[0]);
  s.anomalies = cell_int(r[1]);
  s.bytes_out = cell_double(r[2]);
  s.bytes_in = cell_double(r[3]);
  if (r[4]) s.first = cell_double(r[4]);
  if (r[5]) s.last = cell_double(r[5]);
  return s;
}

Result<std::vector<HostStat>> SqlStore::host_peers(const Query& q, const AddressRange& host,
                                                   int limit) {
  std::vector<SqlParam> params;
  auto side = [&](const char* self, const char* peer) {
    std::string s = fmt::format(
        "SELECT {} AS peer, label, sbytes + dbytes AS b, score FROM anomaly_scores WHERE stime "
        ">= ? AND stime < ?",
        peer);
    params.insert(params.end(), {q.from, q.to});
    add_query_filters(q, s, params);
    s += fmt::format(" AND {} IS NOT NULL AND ", peer);
    return s + address_condition(self, host, params);
  };
  const std::string as_src = side("srcip", "dstip");  // in parameter order
  const std::string as_dst = side("dstip", "srcip");
  std::string sql = fmt::format(
      "SELECT peer, count(*) AS flows, sum(label) AS anomalies, sum(b) AS bytes, max(score) "
      "FROM ({} UNION ALL {}) AS p GROUP BY peer ORDER BY flows DESC, anomalies DESC, peer "
      "LIMIT ?",
      as_src, as_dst);
  params.emplace_back(int64_t{std::max(limit, 0)});
  auto rows = query(sql, params);
  if (!rows.ok()) return rows.error();
  std::vector<HostStat> out;
  for (const auto& r : *rows) {
    out.push_back({address_from_cell(r[0]).value_or(""), cell_int(r[1]), cell_int(r[2]),
                   cell_double(r[3]), cell_double(r[4])});
  }
  return out;
}

Result<HostDetail> SqlStore::host_detail(const Query& q, const flow::AddressBytes& ip, int limit) {
  if (auto st = check_window(q); !st.ok()) return st.error();
  const AddressRange host{ip, ip};
  HostDetail d;
  auto summary = host_summary(q, host);
  if (!summary.ok()) return summary.error();
  d.summary = *summary;
  d.bucket_seconds = bucket_seconds_for(q.to - q.from);

  std::vector<SqlParam> params;
  std::string sql =
      fmt::format("SELECT {} AS t, count(*), sum(label), max(score) FROM anomaly_scores WHERE ",
                  bucket_expr(d.bucket_seconds));
  sql += host_where(q, host, params) + " GROUP BY 1 ORDER BY 1";
  auto timeline = query(sql, params);
  if (!timeline.ok()) return timeline.error();
  for (const auto& r : *timeline) {
    d.timeline.push_back({cell_int(r[0]), cell_int(r[1]), cell_int(r[2]), cell_double(r[3])});
  }

  auto peers = host_peers(q, host, limit);
  if (!peers.ok()) return peers.error();
  d.peers = std::move(*peers);

  params.clear();
  sql =
      "SELECT dsport, proto, count(*) AS flows, sum(label) AS anomalies FROM anomaly_scores "
      "WHERE " +
      host_where(q, host, params) +
      " AND dsport IS NOT NULL GROUP BY dsport, proto ORDER BY flows DESC, anomalies DESC, "
      "dsport, proto LIMIT ?";
  params.emplace_back(int64_t{std::max(limit, 0)});
  auto ports = query(sql, params);
  if (!ports.ok()) return ports.error();
  for (const auto& r : *ports) {
    d.ports.push_back({cell_int(r[0]), r[1].value_or(""), cell_int(r[2]), cell_int(r[3])});
  }

  params.clear();
  sql = "SELECT attack_cat, count(*) AS n FROM anomaly_scores WHERE " +
        host_where(q, host, params) + " AND label = 1 GROUP BY attack_cat ORDER BY n DESC, 1";
  auto cats = query(sql, params);
  if (!cats.ok()) return cats.error();
  for (const auto& r : *cats) d.categories.push_back({r[0].value_or(""), cell_int(r[1])});
  return d;
}

}  // namespace flowsentry::store
