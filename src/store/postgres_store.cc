#include "store/postgres_store.h"

#include "flow/address.h"

#include <libpq-fe.h>

#include <ctime>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/log.h"
#include "store/migrations.h"
#include "store/pg_write.h"
#include "store/rollup.h"
#include "store/write_batch.h"

namespace flowsentry::store {
namespace {

constexpr int64_t kMigrationLock = 0x666c6f77;  // "flow"
constexpr int64_t kPartitionLock = 0x70617274;  // "part"

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
    if (auto st = s->prepare_ahead(wall_seconds()); !st.ok()) return st.error();
  }
  return s;
}

namespace {

// SQLSTATE classes 22 (data exception) and 23 (integrity, e.g. no partition for a row) are the
// rows' fault, not the server's: the pipeline isolates such records instead of retrying.
ErrorCode code_for(const PGresult* r, bool gone) {
  if (gone) return ErrorCode::kUnavailable;
  const char* state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  if (!state) return ErrorCode::kIo;
  std::string_view s(state);
  if (s == "23505") return ErrorCode::kConflict;
  if (s.starts_with("22") || s.starts_with("23")) return ErrorCode::kValidation;
  return ErrorCode::kIo;
}

}  // namespace

Error PostgresStore::pg_error(PgConn& c, std::string_view what, const PGresult* r) const {
  const char* detail = r ? PQresultErrorMessage(r) : nullptr;
  std::string msg = detail && *detail ? detail : PQerrorMessage(c.conn);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const bool gone = PQstatus(c.conn) != CONNECTION_OK;
  return make_error(code_for(r, gone), fmt::format("{}: {}", what, msg), pool_->display_url());
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
    return pg_error(c, fmt::format("`{}` failed", sql.substr(0, 60)), res.r);
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
    return pg_error(c, fmt::format("query failed `{}`", sql.substr(0, 80)), res.r);
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

namespace {
const flow::AddressBytes kMappedLo{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0};
const flow::AddressBytes kMappedHi{0, 0, 0,    0,    0,    0,    0,    0,
                                   0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
}  // namespace

// Stored host addresses are all /32 or /128 and IPv4 is stored as IPv4 (family 2), so a range
// between two host addresses of one family is exact. A block holding all of ::ffff:0:0/96
// (::/0, say) also holds every IPv4 address, which SQLite's mapped blobs include by order.
std::string PostgresStore::address_condition(const char* column, const AddressRange& r,
                                             std::vector<SqlParam>& params) const {
  auto text = [](const flow::AddressBytes& a) { return flow::format_address(a); };
  if (r.single()) {
    params.emplace_back(text(r.lo));
    return fmt::format("{} = ?::inet", column);
  }
  params.insert(params.end(), {text(r.lo), text(r.hi)});
  std::string sql = fmt::format("{} BETWEEN ?::inet AND ?::inet", column);
  if (!flow::is_ipv4_mapped(r.lo) && r.contains(kMappedLo) && r.contains(kMappedHi)) {
    params.insert(params.end(), {std::string("0.0.0.0"), std::string("255.255.255.255")});
    sql = fmt::format("({} OR {} BETWEEN ?::inet AND ?::inet)", sql, column);
  }
  return sql;
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
  // Another process (the owner role's maintenance) may have made them: create only what the
  // catalog lacks, since even CREATE ... IF NOT EXISTS needs rights a worker role lacks.
  auto existing = partitions();
  if (!existing.ok()) return existing.error();
  {
    std::lock_guard lock(days_mu_);
    for (int64_t d : *existing) {
      known_days_.insert(d);
      missing.erase(d);
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

Status PostgresStore::prepare_ahead(double now) {
  std::set<int64_t> ahead;
  for (int i = 0; i <= options_.partitions_ahead; ++i) {
    ahead.insert(day_start(now) + i * kSecondsPerDay);
  }
  return ensure_partitions(ahead);
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

Status PostgresStore::copy_in(PgConn& c, const std::string& table, const std::string& data) {
  {
    PgResult res(PQexec(
        c.conn,
        fmt::format("COPY {} ({}) FROM STDIN (FORMAT binary)", table, kPgFlowColumns).c_str()));
    if (PQresultStatus(res.r) != PGRES_COPY_IN) {
      return pg_error(c, fmt::format("COPY into {} failed", table), res.r);
    }
  }
  constexpr size_t kChunk = 1 << 20;
  bool sent = true;
  for (size_t at = 0; sent && at < data.size(); at += kChunk) {
    const size_t n = std::min(kChunk, data.size() - at);
    sent = PQputCopyData(c.conn, data.data() + at, static_cast<int>(n)) == 1;
  }
  if (PQputCopyEnd(c.conn, sent ? nullptr : "client failed to send") != 1) {
    return pg_error(c, "COPY end failed", nullptr);
  }
  std::optional<Error> failed;
  while (PGresult* r = PQgetResult(c.conn)) {
    if (PQresultStatus(r) != PGRES_COMMAND_OK && !failed) {
      failed = pg_error(c, fmt::format("COPY into {} failed", table), r);
    }
    PQclear(r);
  }
  if (failed) return *failed;
  if (!sent) return pg_error(c, fmt::format("COPY into {} failed", table), nullptr);
  return {};
}

// The common case first: the batch is new, so COPY it straight into anomaly_scores and add all
// of it to the rollups. A key already stored (a replay) makes the COPY fail whole with a
// unique violation; then the batch goes through the staging table and INSERT ... ON CONFLICT DO
// NOTHING, and only the rows that statement returns are added to the rollups.
Result<int64_t> PostgresStore::write_on(PgConn& c, std::span<const model::ScoredFlow> batch) {
  auto fail = [&](Error e) -> Result<int64_t> {
    if (PQstatus(c.conn) == CONNECTION_OK) (void)exec_on(c, "ROLLBACK");
    return e;
  };
  const std::string data = pg_binary_copy(batch, options_.effective_feature_sample());
  if (auto st = exec_on(c, "BEGIN"); !st.ok()) return st.error();
  std::vector<model::ScoredFlow> returned;  // slow path: the rows actually inserted
  RollupBuilder rollups;                    // views into batch or returned
  int64_t inserted = 0;
  if (auto st = copy_in(c, "anomaly_scores", data); st.ok()) {
    for (const auto& sf : batch) rollups.add(sf);
    inserted = static_cast<int64_t>(batch.size());
  } else if (st.error().code != ErrorCode::kConflict) {
    return fail(st.error());
  } else {
    (void)exec_on(c, "ROLLBACK");
    auto r = write_existing_on(c, data, returned);
    if (!r.ok()) return fail(r.error());
    for (const auto& sf : returned) rollups.add(sf);
    inserted = *r;
  }
  if (auto st = exec_on(c, pg_rollup_sql(rollups) + "COMMIT"); !st.ok()) return fail(st.error());
  return inserted;
}

Result<int64_t> PostgresStore::write_existing_on(PgConn& c, const std::string& data,
                                                 std::vector<model::ScoredFlow>& inserted) {
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
  if (auto st = copy_in(c, "fs_staging", data); !st.ok()) return st.error();
  static const std::string kMove = [] {
    std::string kpis;
    for (const char* col : kKpiColumns) kpis += fmt::format(", {}", col);
    return fmt::format(
        "INSERT INTO anomaly_scores ({0}) SELECT {0} FROM fs_staging ON CONFLICT DO NOTHING "
        "RETURNING stime, proto, service, state, label, ct_state_ttl, score, srcip, dstip, "
        "sbytes, dbytes{1}",
        kPgFlowColumns, kpis);
  }();
  auto rows = query_on(c, kMove, {});
  if (!rows.ok()) return rows.error();
  static constexpr flow::NumField kKpis[] = {flow::kSload,  flow::kDload,  flow::kSpkts,
                                             flow::kDpkts,  flow::kSjit,   flow::kDjit,
                                             flow::kTcprtt, flow::kSynack, flow::kAckdat};
  inserted.resize(rows->size());
  for (size_t i = 0; i < rows->size(); ++i) {
    const auto& r = (*rows)[i];
    auto& f = inserted[i].flow;
    f.stime = cell_double(r[0]);
    f.proto = r[1].value_or("");
    f.service = r[2].value_or("");
    f.state = r[3].value_or("");
    inserted[i].verdict.label = static_cast<int>(cell_int(r[4]));
    f[flow::kCtStateTtl] = static_cast<double>(cell_int(r[5]));
    inserted[i].verdict.score = cell_double(r[6]);
    f.srcip = r[7];  // inet text, which parse_address reads back
    f.dstip = r[8];
    f[flow::kSbytes] = cell_double(r[9]);
    f[flow::kDbytes] = cell_double(r[10]);
    for (size_t k = 0; k < std::size(kKpis); ++k) f[kKpis[k]] = cell_double(r[11 + k]);
  }
  return static_cast<int64_t>(rows->size());
}

Result<int64_t> PostgresStore::write(std::span<const model::ScoredFlow> batch) {
  if (auto st = check_batch(batch); !st.ok()) return st.error();
  if (batch.empty()) return int64_t{0};
  std::set<int64_t> days;
  for (const auto& sf : batch) days.insert(day_start(*sf.flow.stime));
  const int64_t today = day_start(wall_seconds());
  for (int i = 0; i <= options_.partitions_ahead; ++i) days.insert(today + i * kSecondsPerDay);
  for (int attempt = 1;; ++attempt) {
    if (auto st = ensure_partitions(days); !st.ok()) return st.error();
    auto r = write_halves(batch);
    // Another process may have dropped a partition we thought existed (retention): forget
    // what we know and create it again.
    if (!r.ok() && attempt == 1 &&
        r.error().message.find("no partition of relation") != std::string::npos) {
      std::lock_guard lock(days_mu_);
      known_days_.clear();
      continue;
    }
    if (r.ok() && *r > 0) analyze_growing(batch);
    return r;
  }
}

// A large batch goes in as two transactions on two connections at once, so that the server
// works on both cores. Each half is idempotent on its own: when one fails the write fails, and
// writing the batch again stores only what is missing. Both halves upsert the same rollup rows
// in the same (sorted) order, so they wait for each other but never deadlock.
Result<int64_t> PostgresStore::write_halves(std::span<const model::ScoredFlow> batch) {
  constexpr size_t kSplitRows = 512;
  auto write = [this](std::span<const model::ScoredFlow> part) {
    return with_conn([&](PgConn& c) { return write_on(c, part); });
  };
  if (batch.size() < kSplitRows || options_.pool_max < 2) return write(batch);
  const size_t half = batch.size() / 2;
  std::optional<Result<int64_t>> second;
  std::thread other([&] { second = write(batch.subspan(half)); });
  auto first = write(batch.first(half));
  other.join();
  if (!first.ok()) return first;
  if (!second->ok()) return *second;
  return *first + **second;
}

// A day's partition starts empty and fills within the day, while the dashboard queries exactly
// that day: with statistics from when it was small, the planner picks whole-partition scans for
// "newest anomalies" and "top scores" (hundreds of ms at 1M rows). Autovacuum analyzes on its
// own schedule, up to a minute late; this analyzes each time a partition has doubled since
// (at least kAnalyzeEvery rows), a handful of times a day.
void PostgresStore::analyze_growing(std::span<const model::ScoredFlow> batch) {
  constexpr int64_t kAnalyzeEvery = 20000;
  std::vector<int64_t> due;
  {
    std::lock_guard lock(days_mu_);
    for (const auto& sf : batch) ++growth_[day_start(*sf.flow.stime)].since;
    if (analyzing_.load()) return;  // counted; due again after the running one
    for (auto& [day, g] : growth_) {
      if (g.since < std::max(kAnalyzeEvery, g.analyzed)) continue;
      g.analyzed += g.since;
      g.since = 0;
      due.push_back(day);
    }
    if (due.empty()) return;
    analyzing_ = true;
  }
  if (analyzer_.joinable()) analyzer_.join();  // finished: analyzing_ was false
  analyzer_ = std::thread([this, due] {
    for (int64_t day : due) {
      // A 6,000-row sample (target 20, not 100) is plenty for the planner's choices between
      // the time and score indexes, at a fifth of the cost.
      auto st = with_conn([&](PgConn& c) {
        return exec_on(c, "BEGIN; SET LOCAL default_statistics_target = 20; ANALYZE " +
                              partition_name(day) + "; COMMIT");
      });
      if (!st.ok()) {
        module_logger("store")->warn("ANALYZE {} failed: {}", partition_name(day),
                                     st.error().to_string());
      }
    }
    analyzing_ = false;
  });
}

PostgresStore::~PostgresStore() {
  if (analyzer_.joinable()) analyzer_.join();
}

Result<bool> PostgresStore::owns_schema() {
  auto rows = query(
      "SELECT pg_has_role(current_user, relowner, 'USAGE') FROM pg_class "
      "WHERE oid = 'anomaly_scores'::regclass",
      {});
  if (!rows.ok()) return rows.error();
  return !rows->empty() && (*rows)[0][0].value_or("") == "t";
}

Result<int64_t> PostgresStore::apply_retention(double now) {
  // A worker role cannot drop partitions; the owner role's `flowsentry db maintain` does.
  auto owner = owns_schema();
  if (!owner.ok()) return owner.error();
  if (!*owner) {
    if (!retention_left_to_owner_.exchange(true)) {
      module_logger("store")->info(
          "retention: not the owner of anomaly_scores, left to the owner role (flowsentry db "
          "maintain)");
    }
    return 0;
  }
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
      growth_.erase(d);
    }
    ++dropped;
    module_logger("store")->info("retention: dropped partition {}", partition_name(d));
  }
  for (const char* sql :
       {"DELETE FROM rollup_10s WHERE bucket < ?", "DELETE FROM rollup_5m WHERE bucket < ?",
        "DELETE FROM rollup_10s_total WHERE bucket < ?",
        "DELETE FROM rollup_5m_total WHERE bucket < ?", "DELETE FROM host_rollup_1h WHERE hour < ?",
        "DELETE FROM alerts WHERE created < ?", "DELETE FROM drift_events WHERE event_time < ?",
        "DELETE FROM feedback WHERE created < ?", "DELETE FROM suppressions WHERE expires < ?"}) {
    std::vector<SqlParam> params{cutoff};
    auto r = query(sql, params);
    if (!r.ok()) return r.error();
  }
  return dropped;
}

Result<bool> PostgresStore::schema_up_to_date() {
  auto exists = query("SELECT to_regclass('schema_migrations') IS NOT NULL", {});
  if (!exists.ok()) return exists.error();
  if ((*exists)[0][0].value_or("") != "t") return false;
  auto rows = query("SELECT coalesce(max(version), 0), count(*) FROM schema_migrations", {});
  if (!rows.ok()) return rows.error();
  const auto known = migrations_for("postgres");
  const auto count = static_cast<size_t>(cell_int((*rows)[0][1]));
  return count == known.size() &&
         (known.empty() || cell_int((*rows)[0][0]) == known.back().version);
}

Status PostgresStore::migrate() {
  // Up to date: nothing to write, so a worker role without DDL rights may open the store.
  if (auto current = schema_up_to_date(); current.ok() && *current) return {};
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
      std::vector<SqlParam> params{m.version, std::string(m.name), wall_seconds()};
      auto r = query_on(c, "INSERT INTO schema_migrations VALUES (?, ?, ?)", params);
      if (!r.ok()) return fail(r.error());
      module_logger("store")->info("applying migration {} to {}", m.name, pool_->display_url());
    }
    return exec_on(c, "COMMIT");
  });
}

}  // namespace flowsentry::store
