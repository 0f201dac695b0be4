#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <cmath>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/log.h"
#include "store/migrations.h"
#include "store/rollup.h"
#include "store/write_batch.h"

namespace flowsentry::store {
namespace {

constexpr const char* kInsertFlow =
    "INSERT INTO anomaly_scores (stime, source, source_partition, source_offset, score, label, "
    "attack_cat, proto, state, service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, "
    "tcprtt, synack, ackdat, ct_state_ttl, model_version, explanation) VALUES (?, ?, ?, ?, ?, ?, "
    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (source, source_partition, source_offset) DO NOTHING";

std::string upsert_rollup_sql(const RollupTable& t) {
  std::string sql = rollup_insert_head(t) + " VALUES (?";
  for (int i = 1; i < rollup_columns(t); ++i) sql += ", ?";
  return sql + ")" + rollup_conflict_tail(t);
}

}  // namespace

SqliteStore::SqliteStore(StoreOptions options, std::string path)
    : options_(std::move(options)), path_(std::move(path)), shared_conn_(path_ == ":memory:") {}

SqliteStore::~SqliteStore() {
  for (Conn* c : {&writer_, &reader_}) {
    for (auto& [sql, st] : c->stmts) sqlite3_finalize(st);
    if (c->db) sqlite3_close(c->db);
  }
}

Error SqliteStore::sqlite_error(Conn& c, std::string_view what) const {
  const char* msg = c.db ? sqlite3_errmsg(c.db) : "out of memory";
  int code = c.db ? sqlite3_errcode(c.db) : SQLITE_NOMEM;
  ErrorCode ec = (code == SQLITE_BUSY || code == SQLITE_LOCKED)      ? ErrorCode::kUnavailable
                 : (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? ErrorCode::kCorrupt
                                                                     : ErrorCode::kIo;
  return make_error(ec, fmt::format("{}: {}", what, msg), fmt::format("sqlite:{}", path_));
}

Status SqliteStore::exec(Conn& c, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(c.db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return make_error(ErrorCode::kIo, msg, fmt::format("sqlite:{}", path_));
  }
  return {};
}

Status SqliteStore::open_conn(Conn& c, bool writer) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path_.c_str(), &c.db, flags, nullptr) != SQLITE_OK) {
    auto e = sqlite_error(c,
                          "cannot open the database file (check the directory exists and is "
                          "writable)");
    return e;
  }
  sqlite3_busy_timeout(c.db, 10000);
  if (writer) {
    if (auto st = exec(c, "PRAGMA journal_mode=WAL"); !st.ok()) return st;
  }
  return exec(c, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;");
}

Result<std::unique_ptr<SqliteStore>> SqliteStore::open(const StoreOptions& options,
                                                       const std::string& path) {
  std::unique_ptr<SqliteStore> s(new SqliteStore(options, path));
  if (auto st = s->open_conn(s->writer_, true); !st.ok()) return st.error();
  if (options.migrate) {
    if (auto st = s->migrate(); !st.ok()) return st.error();
  }
  if (!s->shared_conn_) {
    if (auto st = s->open_conn(s->reader_, false); !st.ok()) return st.error();
  }
  return s;
}

Result<sqlite3_stmt*> SqliteStore::prepare(Conn& c, std::string_view sql) {
  if (auto it = c.stmts.find(sql); it != c.stmts.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v3(c.db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                         &st, nullptr) != SQLITE_OK) {
    return sqlite_error(c, fmt::format("cannot prepare `{}`", sql.substr(0, 80)));
  }
  c.stmts.emplace(std::string(sql), st);
  return st;
}

namespace {
void bind(sqlite3_stmt* st, int i, const SqlParam& p) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::nullptr_t>) {
          sqlite3_bind_null(st, i);
        } else if constexpr (std::is_same_v<V, int64_t>) {
          sqlite3_bind_int64(st, i, v);
        } else if constexpr (std::is_same_v<V, double>) {
          sqlite3_bind_double(st, i, v);
        } else {
          sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
        }
      },
      p);
}

void bind_text(sqlite3_stmt* st, int i, std::string_view v) {
  sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
}  // namespace

Result<std::vector<SqlRow>> SqliteStore::run(Conn& c, const std::string& sql,
                                             std::span<const SqlParam> params) {
  auto st = prepare(c, sql);
  if (!st.ok()) return st.error();
  for (size_t i = 0; i < params.size(); ++i) bind(*st, static_cast<int>(i + 1), params[i]);
  std::vector<SqlRow> rows;
  for (;;) {
    int rc = sqlite3_step(*st);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      auto e = sqlite_error(c, fmt::format("query failed `{}`", sql.substr(0, 80)));
      sqlite3_reset(*st);
      return e;
    }
    const int n = sqlite3_column_count(*st);
    SqlRow row(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) {
      switch (sqlite3_column_type(*st, i)) {
        case SQLITE_NULL:
          break;
        case SQLITE_FLOAT:
          // Shortest text that reads back to the same double (column_text keeps 15 digits).
          row[static_cast<size_t>(i)] = fmt::format("{}", sqlite3_column_double(*st, i));
          break;
        default: {
          auto* t = reinterpret_cast<const char*>(sqlite3_column_text(*st, i));
          row[static_cast<size_t>(i)] =
              std::string(t, static_cast<size_t>(sqlite3_column_bytes(*st, i)));
        }
      }
    }
    rows.push_back(std::move(row));
  }
  sqlite3_reset(*st);
  return rows;
}

Result<std::vector<SqlRow>> SqliteStore::query(const std::string& sql,
                                               std::span<const SqlParam> params) {
  const bool read = sql.starts_with("SELECT") && !shared_conn_;
  Conn& c = read ? reader_ : writer_;
  std::lock_guard lock(c.mu);
  return run(c, sql, params);
}

std::string SqliteStore::bucket_expr(int64_t seconds) const {
  return fmt::format("(CAST(stime / {0} AS INTEGER) * {0})", seconds);
}

Result<int64_t> SqliteStore::write(std::span<const model::ScoredFlow> batch) {
  if (auto st = check_batch(batch); !st.ok()) return st.error();
  if (batch.empty()) return int64_t{0};
  std::lock_guard lock(writer_.mu);
  if (auto st = exec(writer_, "BEGIN IMMEDIATE"); !st.ok()) return st.error();
  auto r = write_locked(batch);
  if (!r.ok()) {
    (void)exec(writer_, "ROLLBACK");
    return r;
  }
  if (auto st = exec(writer_, "COMMIT"); !st.ok()) {
    (void)exec(writer_, "ROLLBACK");
    return st.error();
  }
  return r;
}

Result<int64_t> SqliteStore::write_locked(std::span<const model::ScoredFlow> batch) {
  using flow::NumField;
  auto ins = prepare(writer_, kInsertFlow);
  if (!ins.ok()) return ins.error();
  sqlite3_stmt* st = *ins;
  RollupBuilder rollups;
  int64_t inserted = 0;
  for (const auto& sf : batch) {
    const auto& f = sf.flow;
    const auto& v = sf.verdict;
    sqlite3_reset(st);
    sqlite3_bind_double(st, 1, *f.stime);
    bind_text(st, 2, f.key.source);
    sqlite3_bind_int64(st, 3, f.key.partition);
    sqlite3_bind_int64(st, 4, f.key.offset);
    sqlite3_bind_double(st, 5, v.score);
    sqlite3_bind_int(st, 6, v.label);
    bind_text(st, 7, v.attack_cat);
    bind_text(st, 8, f.proto);
    bind_text(st, 9, f.state);
    bind_text(st, 10, f.service);
    static constexpr NumField kNums[] = {flow::kSload, flow::kDload,  flow::kSpkts,  flow::kDpkts,
                                         flow::kSjit,  flow::kDjit,   flow::kSttl,   flow::kDttl,
                                         flow::kDur,   flow::kTcprtt, flow::kSynack, flow::kAckdat};
    for (size_t i = 0; i < std::size(kNums); ++i) {
      sqlite3_bind_double(st, static_cast<int>(11 + i), f[kNums[i]]);
    }
    sqlite3_bind_int64(st, 23, static_cast<int64_t>(f[flow::kCtStateTtl]));
    bind_text(st, 24, v.model_version);
    const std::string explanation = explanation_json(v);  // bound without a copy: keep it alive
    bind_text(st, 25, explanation);
    if (sqlite3_step(st) != SQLITE_DONE) {
      auto e = sqlite_error(writer_, fmt::format("insert of record {}/{}/{} failed", f.key.source,
                                                 f.key.partition, f.key.offset));
      sqlite3_reset(st);
      return e;
    }
    if (sqlite3_changes(writer_.db) == 1) {
      ++inserted;
      rollups.add(sf);
    }
  }
  sqlite3_reset(st);
  for (const auto& t : rollups.tables()) {
    auto up = prepare(writer_, upsert_rollup_sql(t));
    if (!up.ok()) return up.error();
    for (const auto& [k, s] : t.groups) {
      sqlite3_reset(*up);
      int i = 1;
      sqlite3_bind_int64(*up, i++, k.bucket);
      if (!t.totals) {
        bind_text(*up, i++, k.proto);
        bind_text(*up, i++, k.service);
        bind_text(*up, i++, k.state);
      }
      sqlite3_bind_int(*up, i++, k.label);
      if (!t.totals) sqlite3_bind_int64(*up, i++, k.ct_state_ttl);
      sqlite3_bind_int64(*up, i++, s.n);
      sqlite3_bind_double(*up, i++, s.score_sum);
      for (double v : s.kpi_sum) sqlite3_bind_double(*up, i++, v);
      if (sqlite3_step(*up) != SQLITE_DONE) {
        auto e = sqlite_error(writer_, fmt::format("rollup update of {} failed", t.name));
        sqlite3_reset(*up);
        return e;
      }
    }
    sqlite3_reset(*up);
  }
  return inserted;
}

Result<int64_t> SqliteStore::apply_retention(double now) {
  const int64_t cutoff = retention_cutoff(now, options_.retention_days);
  std::lock_guard lock(writer_.mu);
  if (auto st = exec(writer_, "BEGIN IMMEDIATE"); !st.ok()) return st.error();
  int64_t removed = 0;
  for (const char* sql :
       {"DELETE FROM anomaly_scores WHERE stime < ?", "DELETE FROM rollup_10s WHERE bucket < ?",
        "DELETE FROM rollup_5m WHERE bucket < ?", "DELETE FROM rollup_10s_total WHERE bucket < ?",
        "DELETE FROM rollup_5m_total WHERE bucket < ?"}) {
    std::vector<SqlParam> params{cutoff};
    auto r = run(writer_, sql, params);
    if (!r.ok()) {
      (void)exec(writer_, "ROLLBACK");
      return r.error();
    }
    if (std::string_view(sql).find("anomaly_scores") != std::string_view::npos) {
      removed = sqlite3_changes(writer_.db);
    }
  }
  if (auto st = exec(writer_, "COMMIT"); !st.ok()) return st.error();
  module_logger("store")->info("retention: removed {} flows before {} from sqlite:{}", removed,
                               cutoff, path_);
  return removed;
}

Status SqliteStore::migrate() {
  std::lock_guard lock(writer_.mu);
  if (auto st = exec(writer_,
                     "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
                     "name TEXT NOT NULL, applied_at REAL NOT NULL)");
      !st.ok()) {
    return st;
  }
  auto applied = run(writer_, "SELECT version FROM schema_migrations", {});
  if (!applied.ok()) return applied.error();
  std::set<int64_t> have;
  for (const auto& r : *applied) have.insert(cell_int(r[0]));
  auto known = migrations_for("sqlite");
  if (!have.empty() && !known.empty() && *have.rbegin() > known.back().version) {
    return make_error(ErrorCode::kIncompatible,
                      fmt::format("database schema is at version {}, newer than this flowsentry "
                                  "knows ({}); upgrade flowsentry",
                                  *have.rbegin(), known.back().version),
                      fmt::format("sqlite:{}", path_));
  }
  for (const auto& m : known) {
    if (have.contains(m.version)) continue;
    if (auto st = exec(writer_, "BEGIN IMMEDIATE"); !st.ok()) return st;
    std::string sql(m.sql);
    auto st = exec(writer_, sql.c_str());
    if (st.ok()) {
      std::vector<SqlParam> params{m.version, std::string(m.name), wall_seconds()};
      auto r = run(writer_, "INSERT INTO schema_migrations VALUES (?, ?, ?)", params);
      if (!r.ok()) st = r.error();
    }
    if (!st.ok()) {
      (void)exec(writer_, "ROLLBACK");
      return make_error(st.error().code,
                        fmt::format("migration {} failed: {}", m.name, st.error().message),
                        st.error().where);
    }
    if (auto c = exec(writer_, "COMMIT"); !c.ok()) return c;
    module_logger("store")->info("applied migration {} to sqlite:{}", m.name, path_);
  }
  return {};
}

}  // namespace flowsentry::store
