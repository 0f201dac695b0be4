#include "store/postgres_store.h"

#include <libpq-fe.h>

#include <chrono>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "common/log.h"
#include "store/migrations.h"
#include "store/write_batch.h"

namespace flowsentry::store {
namespace {

constexpr const char* kColumns =
    "stime, source, source_partition, source_offset, score, label, attack_cat, proto, state, "
    "service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, tcprtt, synack, ackdat, "
    "ct_state_ttl, model_version, explanation";

constexpr int64_t kMigrationLock = 0x666c6f77;  // "flow"
constexpr int64_t kPartitionLock = 0x70617274;  // "part"

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string partition_name(int64_t day) {
  std::time_t t = static_cast<std::time_t>(day);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("anomaly_scores_p{:04}{:02}{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday);
}

// anomaly_scores_pYYYYMMDD -> first second of that UTC day, or -1.
int64_t partition_day(std::string_view name) {
  constexpr std::string_view kPrefix = "anomaly_scores_p";
  if (!name.starts_with(kPrefix) || name.size() != kPrefix.size() + 8) return -1;
  std::tm tm{};
  try {
    tm.tm_year = std::stoi(std::string(name.substr(kPrefix.size(), 4))) - 1900;
    tm.tm_mon = std::stoi(std::string(name.substr(kPrefix.size() + 4, 2))) - 1;
    tm.tm_mday = std::stoi(std::string(name.substr(kPrefix.size() + 6, 2)));
  } catch (...) {
    return -1;
  }
  return static_cast<int64_t>(timegm(&tm));
}

// COPY text format: backslash, tab, newline and carriage return are escaped.
void append_copy_text(std::string& out, std::string_view s) {
  for (char ch : s) {
    switch (ch) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += ch;
    }
  }
}

// One data-modifying CTE adding the inserted rows (`ins`) to a rollup table; `totals` tables are
// keyed by (bucket, label) only.
std::string rollup_cte(const char* name, const char* table, int64_t seconds, bool totals) {
  const char* key = totals ? "bucket, label" : "bucket, proto, service, state, label, ct_state_ttl";
  std::string cols = std::string(key) + ", n, score_sum";
  std::string sums = "count(*), sum(score)";
  std::string sets = "n = r.n + excluded.n, score_sum = r.score_sum + excluded.score_sum";
  for (const char* c : kKpiColumns) {
    cols += fmt::format(", {}_sum", c);
    sums += fmt::format(", sum({})", c);
    sets += fmt::format(", {0}_sum = r.{0}_sum + excluded.{0}_sum", c);
  }
  return fmt::format(
      "{0} AS (INSERT INTO {1} AS r ({2}) SELECT floor(stime / {3})::bigint * {3}, {4}, {5} "
      "FROM ins GROUP BY {6} ORDER BY {6} ON CONFLICT ({7}) DO UPDATE SET {8} RETURNING 1)",
      name, table, cols, seconds, totals ? "label" : "proto, service, state, label, ct_state_ttl",
      sums, totals ? "1, 2" : "1, 2, 3, 4, 5, 6", key, sets);
}

const std::string& move_staged_sql() {
  static const std::string kSql = [] {
    std::string kpis;
    for (const char* c : kKpiColumns) kpis += fmt::format(", {}", c);
    return fmt::format(
        "WITH ins AS (INSERT INTO anomaly_scores ({0}) SELECT {0} FROM fs_staging "
        "ON CONFLICT DO NOTHING RETURNING stime, proto, service, state, label, ct_state_ttl, "
        "score{1}), {2}, {3}, {4}, {5} SELECT count(*) FROM ins",
        kColumns, kpis, rollup_cte("r10", "rollup_10s", kRollupFine, false),
        rollup_cte("r5", "rollup_5m", kRollupCoarse, false),
        rollup_cte("t10", "rollup_10s_total", kRollupFine, true),
        rollup_cte("t5", "rollup_5m_total", kRollupCoarse, true));
  }();
  return kSql;
}

struct PgResult {
  PGresult* r;
  explicit PgResult(PGresult* res) : r(res) {}
  ~PgResult() { PQclear(r); }
  PgResult(const PgResult&) = delete;
  PgResult& operator=(const PgResult&) = delete;
};

}  // namespace

PostgresStore::PostgresStore(StoreOptions options, std::unique_ptr<PgPool> pool)
    : options_(std::move(options)), pool_(std::move(pool)) {}

Result<std::unique_ptr<PostgresStore>> PostgresStore::open(const StoreOptions& options) {
  PgPool::Options po;
  po.url = options.url;
  po.max = std::max(1, options.pool_max);
  auto pool = PgPool::open(po);
  if (!pool.ok()) return pool.error();
  std::unique_ptr<PostgresStore> s(new PostgresStore(options, std::move(*pool)));
  if (options.migrate) {
    if (auto st = s->migrate(); !st.ok()) return st.error();
    std::set<int64_t> ahead;
    for (int i = 0; i <= options.partitions_ahead; ++i) {
      ahead.insert(day_start(now_seconds()) + i * kSecondsPerDay);
    }
    if (auto st = s->ensure_partitions(ahead); !st.ok()) return st.error();
  }
  return s;
}

Error PostgresStore::pg_error(PgConn& c, std::string_view what, const char* detail) const {
  std::string msg = detail && *detail ? detail : PQerrorMessage(c.conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const bool gone = PQstatus(c.conn) != CONNECTION_OK;
  return make_error(gone ? ErrorCode::kUnavailable : ErrorCode::kIo,
                    fmt::format("{}: {}", what, msg), pool_->display_url());
}

template <class F>
auto PostgresStore::with_conn(F&& f) -> decltype(f(std::declval<PgConn&>())) {
  constexpr int kAttempts = 3;
  for (int attempt = 1;; ++attempt) {
    auto lease = pool_->acquire();
    if (!lease.ok()) return lease.error();
    auto r = f(**lease);
    if (r.ok() || !lease->broken() || attempt == kAttempts) return r;
    module_logger("store")->warn("connection to {} lost ({}); retrying on a new connection",
                                 pool_->display_url(), r.error().message);
    lease->discard();
  }
}

Status PostgresStore::exec_on(PgConn& c, const std::string& sql) {
  PgResult res(PQexec(c.conn, sql.c_str()));
  auto st = PQresultStatus(res.r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return pg_error(c, fmt::format("`{}` failed", sql.substr(0, 60)), PQresultErrorMessage(res.r));
  }
  return {};
}

Result<std::vector<SqlRow>> PostgresStore::query_on(PgConn& c, const std::string& sql,
                                                    std::span<const SqlParam> params) {
  std::string numbered;
  numbered.reserve(sql.size() + 16);
  int n = 0;
  for (char ch : sql) {
    if (ch == '?') {
      numbered += fmt::format("${}", ++n);
    } else {
      numbered += ch;
    }
  }
  std::vector<std::string> text(params.size());
  std::vector<const char*> values(params.size());
  for (size_t i = 0; i < params.size(); ++i) {
    std::visit(
        [&](const auto& v) {
          using V = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<V, std::nullptr_t>) {
            values[i] = nullptr;
          } else {
            if constexpr (std::is_same_v<V, std::string>) {
              text[i] = v;
            } else {
              text[i] = fmt::format("{}", v);
            }
            values[i] = text[i].c_str();
          }
        },
        params[i]);
  }
  PgResult res(PQexecParams(c.conn, numbered.c_str(), static_cast<int>(params.size()), nullptr,
                            values.data(), nullptr, nullptr, 0));
  auto st = PQresultStatus(res.r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
    return pg_error(c, fmt::format("query failed `{}`", sql.substr(0, 80)),
                    PQresultErrorMessage(res.r));
  }
  std::vector<SqlRow> rows;
  const int nrows = PQntuples(res.r), ncols = PQnfields(res.r);
  rows.reserve(static_cast<size_t>(nrows));
  for (int r = 0; r < nrows; ++r) {
    SqlRow row(static_cast<size_t>(ncols));
    for (int col = 0; col < ncols; ++col) {
      if (!PQgetisnull(res.r, r, col)) {
        row[static_cast<size_t>(col)] =
            std::string(PQgetvalue(res.r, r, col), static_cast<size_t>(PQgetlength(res.r, r, col)));
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<SqlRow>> PostgresStore::query(const std::string& sql,
                                                 std::span<const SqlParam> params) {
  return with_conn([&](PgConn& c) { return query_on(c, sql, params); });
}

std::string PostgresStore::bucket_expr(int64_t seconds) const {
  return fmt::format("(floor(stime / {0})::bigint * {0})", seconds);
}

Status PostgresStore::ensure_partitions(const std::set<int64_t>& days) {
  std::set<int64_t> missing;
  {
    std::lock_guard lock(days_mu_);
    for (int64_t d : days) {
      if (!known_days_.contains(d)) missing.insert(d);
    }
  }
  if (missing.empty()) return {};
  auto st = with_conn([&](PgConn& c) -> Status {
    std::string sql = fmt::format("BEGIN; SELECT pg_advisory_xact_lock({});", kPartitionLock);
    for (int64_t d : missing) {
      sql += fmt::format(
          " CREATE TABLE IF NOT EXISTS {} PARTITION OF anomaly_scores FOR VALUES FROM ({}) TO "
          "({});",
          partition_name(d), d, d + kSecondsPerDay);
    }
    sql += " COMMIT;";
    auto r = exec_on(c, sql);
    if (!r.ok()) (void)exec_on(c, "ROLLBACK");
    return r;
  });
  if (!st.ok()) return st;
  std::lock_guard lock(days_mu_);
  known_days_.insert(missing.begin(), missing.end());
  return {};
}

Result<std::vector<int64_t>> PostgresStore::partitions() {
  auto rows = query(
      "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
      "WHERE i.inhparent = 'anomaly_scores'::regclass",
      {});
  if (!rows.ok()) return rows.error();
  std::vector<int64_t> days;
  for (const auto& r : *rows) {
    int64_t d = partition_day(r[0].value_or(""));
    if (d >= 0) days.push_back(d);
  }
  std::sort(days.begin(), days.end());
  return days;
}

Result<int64_t> PostgresStore::write_on(PgConn& c, std::span<const model::ScoredFlow> batch) {
  using flow::NumField;
  if (!c.staging_ready) {
    if (auto st = exec_on(c,
                          "CREATE TEMP TABLE IF NOT EXISTS fs_staging (LIKE anomaly_scores) "
                          "ON COMMIT DELETE ROWS");
        !st.ok()) {
      return st.error();
    }
    c.staging_ready = true;
  }
  if (auto st = exec_on(c, "BEGIN"); !st.ok()) return st.error();
  auto fail = [&](Error e) -> Result<int64_t> {
    if (PQstatus(c.conn) == CONNECTION_OK) (void)exec_on(c, "ROLLBACK");
    return e;
  };
  {
    PgResult res(PQexec(c.conn, fmt::format("COPY fs_staging ({}) FROM STDIN", kColumns).c_str()));
    if (PQresultStatus(res.r) != PGRES_COPY_IN) {
      return fail(pg_error(c, "COPY into staging failed", PQresultErrorMessage(res.r)));
    }
  }
  static constexpr NumField kNums[] = {flow::kSload, flow::kDload,  flow::kSpkts,  flow::kDpkts,
                                       flow::kSjit,  flow::kDjit,   flow::kSttl,   flow::kDttl,
                                       flow::kDur,   flow::kTcprtt, flow::kSynack, flow::kAckdat};
  std::string buf;
  buf.reserve(1 << 20);
  auto flush = [&]() -> bool {
    if (buf.empty()) return true;
    bool ok = PQputCopyData(c.conn, buf.data(), static_cast<int>(buf.size())) == 1;
    buf.clear();
    return ok;
  };
  bool sent = true;
  for (const auto& sf : batch) {
    const auto& f = sf.flow;
    const auto& v = sf.verdict;
    auto out = std::back_inserter(buf);
    fmt::format_to(out, "{}\t", *f.stime);
    append_copy_text(buf, f.key.source);
    fmt::format_to(out, "\t{}\t{}\t{}\t{}\t", f.key.partition, f.key.offset, v.score, v.label);
    append_copy_text(buf, v.attack_cat);
    buf += '\t';
    append_copy_text(buf, f.proto);
    buf += '\t';
    append_copy_text(buf, f.state);
    buf += '\t';
    append_copy_text(buf, f.service);
    for (NumField k : kNums) fmt::format_to(out, "\t{}", f[k]);
    fmt::format_to(out, "\t{}\t", static_cast<int64_t>(f[flow::kCtStateTtl]));
    append_copy_text(buf, v.model_version);
    buf += '\t';
    append_copy_text(buf, explanation_json(v));
    buf += '\n';
    if (buf.size() > (1 << 20) - 4096 && !(sent = flush())) break;
  }
  if (sent) sent = flush();
  if (PQputCopyEnd(c.conn, sent ? nullptr : "client failed to send") != 1) {
    return fail(pg_error(c, "COPY end failed", nullptr));
  }
  bool copy_ok = true;
  std::string copy_msg;
  while (PGresult* r = PQgetResult(c.conn)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      copy_ok = false;
      copy_msg = PQresultErrorMessage(r);
    }
    PQclear(r);
  }
  if (!copy_ok || !sent) return fail(pg_error(c, "COPY into staging failed", copy_msg.c_str()));
  auto moved = query_on(c, move_staged_sql(), {});
  if (!moved.ok()) return fail(moved.error());
  if (auto st = exec_on(c, "COMMIT"); !st.ok()) return fail(st.error());
  return cell_int(moved->at(0).at(0));
}

Result<int64_t> PostgresStore::write(std::span<const model::ScoredFlow> batch) {
  if (auto st = check_batch(batch); !st.ok()) return st.error();
  if (batch.empty()) return int64_t{0};
  std::set<int64_t> days;
  for (const auto& sf : batch) days.insert(day_start(*sf.flow.stime));
  const int64_t today = day_start(now_seconds());
  for (int i = 0; i <= options_.partitions_ahead; ++i) days.insert(today + i * kSecondsPerDay);
  for (int attempt = 1;; ++attempt) {
    if (auto st = ensure_partitions(days); !st.ok()) return st.error();
    auto r = with_conn([&](PgConn& c) { return write_on(c, batch); });
    // Another process may have dropped a partition we thought existed (retention): forget
    // what we know and create it again.
    if (!r.ok() && attempt == 1 &&
        r.error().message.find("no partition of relation") != std::string::npos) {
      std::lock_guard lock(days_mu_);
      known_days_.clear();
      continue;
    }
    return r;
  }
}

Result<int64_t> PostgresStore::apply_retention(double now) {
  const int64_t cutoff = retention_cutoff(now, options_.retention_days);
  auto days = partitions();
  if (!days.ok()) return days.error();
  int64_t dropped = 0;
  for (int64_t d : *days) {
    if (d + kSecondsPerDay > cutoff) continue;
    auto st = with_conn(
        [&](PgConn& c) { return exec_on(c, "DROP TABLE IF EXISTS " + partition_name(d)); });
    if (!st.ok()) return st.error();
    {
      std::lock_guard lock(days_mu_);
      known_days_.erase(d);
    }
    ++dropped;
    module_logger("store")->info("retention: dropped partition {}", partition_name(d));
  }
  for (const char* sql :
       {"DELETE FROM rollup_10s WHERE bucket < ?", "DELETE FROM rollup_5m WHERE bucket < ?",
        "DELETE FROM rollup_10s_total WHERE bucket < ?",
        "DELETE FROM rollup_5m_total WHERE bucket < ?"}) {
    std::vector<SqlParam> params{cutoff};
    auto r = query(sql, params);
    if (!r.ok()) return r.error();
  }
  return dropped;
}

Status PostgresStore::migrate() {
  return with_conn([&](PgConn& c) -> Status {
    auto fail = [&](Error e) -> Status {
      if (PQstatus(c.conn) == CONNECTION_OK) (void)exec_on(c, "ROLLBACK");
      return e;
    };
    if (auto st = exec_on(c, fmt::format("BEGIN; SELECT pg_advisory_xact_lock({}); "
                                         "CREATE TABLE IF NOT EXISTS schema_migrations (version "
                                         "bigint PRIMARY KEY, name text NOT NULL, applied_at "
                                         "double precision NOT NULL)",
                                         kMigrationLock));
        !st.ok()) {
      return fail(st.error());
    }
    auto applied = query_on(c, "SELECT version FROM schema_migrations", {});
    if (!applied.ok()) return fail(applied.error());
    std::set<int64_t> have;
    for (const auto& r : *applied) have.insert(cell_int(r[0]));
    auto known = migrations_for("postgres");
    if (!have.empty() && !known.empty() && *have.rbegin() > known.back().version) {
      return fail(make_error(ErrorCode::kIncompatible,
                             fmt::format("database schema is at version {}, newer than this "
                                         "flowsentry knows ({}); upgrade flowsentry",
                                         *have.rbegin(), known.back().version),
                             pool_->display_url()));
    }
    for (const auto& m : known) {
      if (have.contains(m.version)) continue;
      if (auto st = exec_on(c, std::string(m.sql)); !st.ok()) {
        return fail(make_error(st.error().code,
                               fmt::format("migration {} failed: {}", m.name, st.error().message),
                               st.error().where));
      }
      std::vector<SqlParam> params{m.version, std::string(m.name), now_seconds()};
      auto r = query_on(c, "INSERT INTO schema_migrations VALUES (?, ?, ?)", params);
      if (!r.ok()) return fail(r.error());
      module_logger("store")->info("applying migration {} to {}", m.name, pool_->display_url());
    }
    return exec_on(c, "COMMIT");
  });
}

Result<std::vector<MigrationState>> PostgresStore::migration_status() {
  std::map<int64_t, MigrationState> all;
  for (const auto& m : migrations_for("postgres")) {
    all[m.version] = {m.version, std::string(m.name), false, std::nullopt};
  }
  auto exists = query("SELECT to_regclass('schema_migrations') IS NOT NULL", {});
  if (!exists.ok()) return exists.error();
  if (exists->at(0).at(0).value_or("f") == "t") {
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

}  // namespace flowsentry::store
