#include "store/sqlite_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/log.h"
#include "flow/address.h"
#include "store/feedback.h"
#include "store/migrations.h"
#include "store/rollup.h"
#include "store/write_batch.h"

namespace flowsentry::store {
namespace {

constexpr const char* kFlowColumnsSql =
    "stime, source, source_partition, source_offset, score, label, attack_cat, proto, state, "
    "service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, tcprtt, synack, ackdat, "
    "ct_state_ttl, model_version, explanation, ltime, srcip, sport, dstip, dsport, sbytes, "
    "dbytes, features";

constexpr int kFlowParams = 33;  // columns of kFlowColumnsSql

// Several rows per INSERT share one statement's setup and cursors (32 measured as good as 16 or
// 128). OR IGNORE rather than ON CONFLICT DO NOTHING: with NOT NULL's default ABORT a
// multi-row INSERT needs a statement journal, which copied every page it touched (about twice
// the cost per flow). Only the nullable identity columns are ever bound NULL, so only the record
// key can be ignored.
constexpr int kRowsPerInsert = 32;

std::string insert_flows_sql(int rows) {
  std::string one = "(?";
  for (int i = 1; i < kFlowParams; ++i) one += ", ?";
  one += ")";
  std::string sql =
      fmt::format("INSERT OR IGNORE INTO anomaly_scores ({}) VALUES {}", kFlowColumnsSql, one);
  for (int r = 1; r < rows; ++r) sql += ", " + one;
  return sql;
}

// A new database gets 64 KiB pages (an existing one keeps its own; VACUUM converts it): the
// indexes are shallower and a batch splits and dirties far fewer pages than with 4 KiB.
constexpr const char* kNewFilePageSize = "PRAGMA page_size=65536";
constexpr int64_t kCheckpointBytes = int64_t{64} << 20;

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
  // A row's own fault (a constraint, a value too big) is kValidation: the pipeline isolates it.
  const bool rows_fault = code == SQLITE_CONSTRAINT || code == SQLITE_TOOBIG ||
                          code == SQLITE_MISMATCH || code == SQLITE_RANGE;
  ErrorCode ec = (code == SQLITE_BUSY || code == SQLITE_LOCKED)      ? ErrorCode::kUnavailable
                 : (code == SQLITE_CORRUPT || code == SQLITE_NOTADB) ? ErrorCode::kCorrupt
                 : rows_fault                                        ? ErrorCode::kValidation
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
    if (auto st = exec(c, kNewFilePageSize); !st.ok()) return st;
    if (auto st = exec(c, "PRAGMA journal_mode=WAL"); !st.ok()) return st;
  }
  if (auto st = exec(c,
                     "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536; PRAGMA "
                     "temp_store=MEMORY;");
      !st.ok()) {
    return st;
  }
  return writer ? set_checkpoint_interval(c) : Status{};
}

// Checkpoints copy the WAL into the database and fsync both; every kCheckpointBytes of WAL
// instead of SQLite's default 1000 pages (4 MiB on 4 KiB pages), so a page rewritten by many
// batches is copied once. Durability is unchanged: commits still go through the WAL.
Status SqliteStore::set_checkpoint_interval(Conn& c) {
  auto size = run(c, "PRAGMA page_size", {});
  if (!size.ok()) return size.error();
  const int64_t page = size->empty() ? 0 : cell_int(size->front()[0]);
  const int64_t pages = std::max<int64_t>(1000, kCheckpointBytes / std::max<int64_t>(page, 1));
  return exec(c, fmt::format("PRAGMA wal_autocheckpoint={}", pages).c_str());
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
        case SQLITE_BLOB: {
          auto* b = static_cast<const char*>(sqlite3_column_blob(*st, i));
          row[static_cast<size_t>(i)] =
              std::string(b ? b : "", static_cast<size_t>(sqlite3_column_bytes(*st, i)));
          break;
        }
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

namespace {
struct AddressHash {
  size_t operator()(const flow::AddressBytes& a) const {
    uint64_t hi = 0, lo = 0;
    std::memcpy(&hi, a.data(), 8);
    std::memcpy(&lo, a.data() + 8, 8);
    return std::hash<uint64_t>{}(lo ^ (hi * 0x9e3779b97f4a7c15ULL));
  }
};
}  // namespace

// A covering range scan of the rollup's primary key (hour first), summed in a hash table keyed
// by the 16-byte address: about 10x cheaper than GROUP BY's sorter over ~24 x hosts rows.
Status SqliteStore::add_host_rollup(int64_t first_hour, int64_t end_hour, HostRole role,
                                    HostSums& out) {
  const char* sql =
      role == HostRole::kAny
          ? "SELECT address, flows, anomalies, bytes, max_score FROM host_rollup_1h WHERE hour "
            ">= ? AND hour < ?"
          : "SELECT address, flows, anomalies, bytes, max_score FROM host_rollup_1h WHERE hour "
            ">= ? AND hour < ? AND side = ?";
  std::unordered_map<flow::AddressBytes, HostStat, AddressHash> sums;
  {
    Conn& c = shared_conn_ ? writer_ : reader_;
    std::lock_guard lock(c.mu);
    auto st = prepare(c, sql);
    if (!st.ok()) return st.error();
    sqlite3_bind_int64(*st, 1, first_hour);
    sqlite3_bind_int64(*st, 2, end_hour);
    if (role != HostRole::kAny) sqlite3_bind_int(*st, 3, role == HostRole::kSrc ? 0 : 1);
    int rc = SQLITE_ROW;
    while ((rc = sqlite3_step(*st)) == SQLITE_ROW) {
      flow::AddressBytes a{};
      if (sqlite3_column_bytes(*st, 0) != static_cast<int>(a.size())) continue;
      std::memcpy(a.data(), sqlite3_column_blob(*st, 0), a.size());
      add_host_sums(sums[a], sqlite3_column_int64(*st, 1), sqlite3_column_int64(*st, 2),
                    sqlite3_column_double(*st, 3), sqlite3_column_double(*st, 4));
    }
    if (rc != SQLITE_DONE) {
      auto e = sqlite_error(c, "host rollup read failed");
      sqlite3_reset(*st);
      return e;
    }
    sqlite3_reset(*st);
  }
  for (const auto& [a, h] : sums) {
    add_host_sums(out[std::string(a.begin(), a.end())], h.flows, h.anomalies, h.bytes, h.max_score);
  }
  return {};
}

std::optional<std::string> SqliteStore::address_from_cell(
    const std::optional<std::string>& cell) const {
  if (!cell || cell->size() != 16) return std::nullopt;
  flow::AddressBytes a;
  std::copy(cell->begin(), cell->end(), a.begin());
  return flow::format_address(a);
}

namespace {
std::string blob_literal(const flow::AddressBytes& a) {
  std::string out = "X'";
  for (uint8_t b : a) out += fmt::format("{:02x}", b);
  return out + "'";
}
}  // namespace

// Blob literals rather than parameters: SqlParam has no blob, and a text parameter never
// compares equal to a blob. The text is ours (hex digits), so nothing can be injected.
std::string SqliteStore::address_condition(const char* column, const AddressRange& r,
                                           std::vector<SqlParam>& /*params*/) const {
  if (r.single()) return fmt::format("{} = {}", column, blob_literal(r.lo));
  return fmt::format("{} BETWEEN {} AND {}", column, blob_literal(r.lo), blob_literal(r.hi));
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

namespace {

void bind_optional(sqlite3_stmt* st, int i, const std::optional<int64_t>& v) {
  if (v) {
    sqlite3_bind_int64(st, i, *v);
  } else {
    sqlite3_bind_null(st, i);
  }
}

// An address as its 16-byte sortable blob (check_batch has made sure it parses).
void bind_address(sqlite3_stmt* st, int i, const std::optional<std::string>& ip) {
  auto bytes = ip ? flow::parse_address(*ip) : std::nullopt;
  if (bytes) {
    sqlite3_bind_blob(st, i, bytes->data(), static_cast<int>(bytes->size()), SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(st, i);
  }
}

// ltime, srcip, sport, dstip, dsport from parameter `i` on; NULL where the flow has none.
void bind_identity(sqlite3_stmt* st, int i, const flow::FlowRecord& f) {
  if (f.ltime) {
    sqlite3_bind_double(st, i, *f.ltime);
  } else {
    sqlite3_bind_null(st, i);
  }
  bind_address(st, i + 1, f.srcip);
  bind_optional(st, i + 2, f.sport);
  bind_address(st, i + 3, f.dstip);
  bind_optional(st, i + 4, f.dsport);
}

// One flow's columns, in kFlowColumnsSql order, from parameter `first` on. Text is bound
// without a copy: the flow, `explanation` and `features` must outlive the statement's step.
// Empty `features` is stored NULL (a flow whose features are not kept).
void bind_flow(sqlite3_stmt* st, int first, const model::ScoredFlow& sf,
               const std::string& explanation, const std::string& features) {
  using flow::NumField;
  static constexpr NumField kNums[] = {flow::kSload, flow::kDload,  flow::kSpkts,  flow::kDpkts,
                                       flow::kSjit,  flow::kDjit,   flow::kSttl,   flow::kDttl,
                                       flow::kDur,   flow::kTcprtt, flow::kSynack, flow::kAckdat};
  const auto& f = sf.flow;
  const auto& v = sf.verdict;
  int i = first;
  sqlite3_bind_double(st, i++, *f.stime);
  bind_text(st, i++, f.key.source);
  sqlite3_bind_int64(st, i++, f.key.partition);
  sqlite3_bind_int64(st, i++, f.key.offset);
  sqlite3_bind_double(st, i++, v.score);
  sqlite3_bind_int(st, i++, v.label);
  bind_text(st, i++, v.attack_cat);
  bind_text(st, i++, f.proto);
  bind_text(st, i++, f.state);
  bind_text(st, i++, f.service);
  for (NumField k : kNums) sqlite3_bind_double(st, i++, f[k]);
  sqlite3_bind_int64(st, i++, static_cast<int64_t>(f[flow::kCtStateTtl]));
  bind_text(st, i++, v.model_version);
  bind_text(st, i++, explanation);
  bind_identity(st, i, f);
  sqlite3_bind_double(st, i + 5, f[flow::kSbytes]);
  sqlite3_bind_double(st, i + 6, f[flow::kDbytes]);
  if (features.empty()) {
    sqlite3_bind_null(st, i + 7);
  } else {
    sqlite3_bind_blob(st, i + 7, features.data(), static_cast<int>(features.size()), SQLITE_STATIC);
  }
}

bool same_key(const flow::RecordKey& k, const SqlRow& r) {
  return k.source == r[0].value_or("") && k.partition == cell_int(r[1]) &&
         k.offset == cell_int(r[2]);
}

}  // namespace

// Inserts `rows` flows per statement (1 or kRowsPerInsert); returns how many were new.
Result<int64_t> SqliteStore::insert_flows(std::span<const model::ScoredFlow> flows, int rows) {
  auto ins = prepare(writer_, insert_flows_sql(rows));
  if (!ins.ok()) return ins.error();
  sqlite3_stmt* st = *ins;
  explanations_.resize(static_cast<size_t>(rows));
  features_.resize(static_cast<size_t>(rows));
  int64_t inserted = 0;
  for (size_t at = 0; at + static_cast<size_t>(rows) <= flows.size(); at += rows) {
    sqlite3_reset(st);
    for (int r = 0; r < rows; ++r) {
      const auto& sf = flows[at + static_cast<size_t>(r)];
      const auto ri = static_cast<size_t>(r);
      explanations_[ri] = explanation_json(sf.verdict);
      features_[ri].clear();
      if (keeps_features(sf, options_.effective_feature_sample()))
        features_[ri] = encode_features(sf.flow);
      bind_flow(st, 1 + r * kFlowParams, sf, explanations_[ri], features_[ri]);
    }
    if (sqlite3_step(st) != SQLITE_DONE) {
      const auto& k = flows[at].flow.key;
      auto e = sqlite_error(writer_, fmt::format("insert of records from {}/{}/{} failed", k.source,
                                                 k.partition, k.offset));
      sqlite3_reset(st);
      return e;
    }
    inserted += sqlite3_changes(writer_.db);
  }
  sqlite3_reset(st);
  return inserted;
}

// The flows inserted in this transaction are the rows above the table's rowid before it (new
// rowids are max + 1), in batch order; only they go into the rollups.
Status SqliteStore::add_inserted(std::span<const model::ScoredFlow> batch, int64_t rowid_before,
                                 int64_t inserted, RollupBuilder& rollups) {
  if (inserted == static_cast<int64_t>(batch.size())) {
    for (const auto& sf : batch) rollups.add(sf);
    return {};
  }
  std::vector<SqlParam> params{rowid_before};
  auto keys = run(writer_,
                  "SELECT source, source_partition, source_offset FROM anomaly_scores "
                  "WHERE rowid > ? ORDER BY rowid",
                  params);
  if (!keys.ok()) return keys.error();
  // A flow skipped as a duplicate never matches the next inserted key: a later flow with the
  // same key would have been skipped too.
  size_t j = 0;
  for (const auto& sf : batch) {
    if (j < keys->size() && same_key(sf.flow.key, (*keys)[j])) {
      rollups.add(sf);
      ++j;
    }
  }
  return {};
}

Result<int64_t> SqliteStore::write_locked(std::span<const model::ScoredFlow> batch) {
  auto last = run(writer_, "SELECT coalesce(max(rowid), 0) FROM anomaly_scores", {});
  if (!last.ok()) return last.error();
  const int64_t rowid_before = cell_int(last->front()[0]);
  const size_t whole = batch.size() / kRowsPerInsert * kRowsPerInsert;
  auto many = insert_flows(batch.first(whole), kRowsPerInsert);
  if (!many.ok()) return many;
  auto rest = insert_flows(batch.subspan(whole), 1);
  if (!rest.ok()) return rest;
  const int64_t inserted = *many + *rest;
  RollupBuilder rollups;
  if (auto st = add_inserted(batch, rowid_before, inserted, rollups); !st.ok()) {
    return st.error();
  }
  if (auto st = upsert_rollups(rollups); !st.ok()) return st.error();
  return inserted;
}

Status SqliteStore::upsert_rollups(const RollupBuilder& rollups) {
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
  return upsert_host_rollup(rollups);
}

Status SqliteStore::upsert_host_rollup(const RollupBuilder& rollups) {
  static const std::string kSql = host_rollup_insert_head() + " VALUES (?, ?, ?, ?, ?, ?, ?)" +
                                  host_rollup_conflict_tail("max");
  auto up = prepare(writer_, kSql);
  if (!up.ok()) return up.error();
  for (const auto& [k, s] : rollups.hosts()) {
    sqlite3_reset(*up);
    sqlite3_bind_int64(*up, 1, k.hour);
    sqlite3_bind_int(*up, 2, static_cast<int>(k.side));
    sqlite3_bind_blob(*up, 3, k.address.data(), static_cast<int>(k.address.size()), SQLITE_STATIC);
    sqlite3_bind_int64(*up, 4, s.flows);
    sqlite3_bind_int64(*up, 5, s.anomalies);
    sqlite3_bind_double(*up, 6, s.bytes);
    sqlite3_bind_double(*up, 7, s.max_score);
    if (sqlite3_step(*up) != SQLITE_DONE) {
      auto e = sqlite_error(writer_, "rollup update of host_rollup_1h failed");
      sqlite3_reset(*up);
      return e;
    }
  }
  sqlite3_reset(*up);
  return {};
}

Result<int64_t> SqliteStore::apply_retention(double now) {
  const int64_t cutoff = retention_cutoff(now, options_.retention_days);
  std::lock_guard lock(writer_.mu);
  if (auto st = exec(writer_, "BEGIN IMMEDIATE"); !st.ok()) return st.error();
  int64_t removed = 0;
  for (const char* sql :
       {"DELETE FROM anomaly_scores WHERE stime < ?", "DELETE FROM rollup_10s WHERE bucket < ?",
        "DELETE FROM rollup_5m WHERE bucket < ?", "DELETE FROM rollup_10s_total WHERE bucket < ?",
        "DELETE FROM rollup_5m_total WHERE bucket < ?", "DELETE FROM host_rollup_1h WHERE hour < ?",
        "DELETE FROM alerts WHERE created < ?", "DELETE FROM drift_events WHERE event_time < ?",
        "DELETE FROM feedback WHERE created < ?", "DELETE FROM suppressions WHERE expires < ?"}) {
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
