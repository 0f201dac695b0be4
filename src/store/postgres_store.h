// PostgresStore: anomaly_scores partitioned by day, written by binary COPY straight into the
// table; a batch holding keys already stored (a replay) goes through a per-connection staging
// table and INSERT ... ON CONFLICT DO NOTHING instead (idempotent). Rollups are added in the same
// transaction from the rows actually inserted; connections from PgPool.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "store/pg_pool.h"
#include "store/sql_store.h"

namespace flowsentry::store {

class PostgresStore final : public SqlStore {
 public:
  static Result<std::unique_ptr<PostgresStore>> open(const StoreOptions& options);
  ~PostgresStore() override;

  std::string_view backend() const override { return "postgres"; }
  Result<int64_t> write(std::span<const model::ScoredFlow> batch) override;
  Result<int64_t> apply_retention(double now) override;
  Status prepare_ahead(double now) override;
  Status migrate() override;

  // Daily partitions (their first second, UTC) that exist now, ascending.
  Result<std::vector<int64_t>> partitions();
  // Creates the partitions for these days (first seconds) if missing.
  Status ensure_partitions(const std::set<int64_t>& days);

 protected:
  Result<std::vector<SqlRow>> query(const std::string& sql,
                                    std::span<const SqlParam> params) override;
  std::string bucket_expr(int64_t seconds) const override;
  // inet's text output of a host address has no prefix length: already canonical.
  std::optional<std::string> address_from_cell(
      const std::optional<std::string>& cell) const override {
    return cell;
  }
  std::string address_condition(const char* column, const AddressRange& r,
                                std::vector<SqlParam>& params) const override;
  bool fetch_with_ties() const override { return true; }
  std::string migrations_table_exists_sql() const override {
    return "SELECT 1 WHERE to_regclass('schema_migrations') IS NOT NULL";
  }

 private:
  explicit PostgresStore(StoreOptions options, std::unique_ptr<PgPool> pool);
  Result<int64_t> write_halves(std::span<const model::ScoredFlow> batch);
  Result<int64_t> write_on(PgConn& c, std::span<const model::ScoredFlow> batch);
  // The slow path for a batch with keys already stored: the COPY data through the staging
  // table; `inserted` gets the rollup columns of the rows actually inserted.
  Result<int64_t> write_existing_on(PgConn& c, const std::string& data,
                                    std::vector<model::ScoredFlow>& inserted);
  // COPY binary `data` into `table`; a unique violation comes back as kConflict.
  Status copy_in(PgConn& c, const std::string& table, const std::string& data);
  Result<std::vector<SqlRow>> query_on(PgConn& c, const std::string& sql,
                                       std::span<const SqlParam> params);
  Status exec_on(PgConn& c, const std::string& sql);
  Error pg_error(PgConn& c, std::string_view what, const PGresult* r) const;

  // Runs f(PgConn&) with a pooled connection; when the connection turns out broken (server
  // restarted), retries on a fresh one. Writes are idempotent, so a retry is safe.
  template <class F>
  auto with_conn(F&& f) -> decltype(f(std::declval<PgConn&>()));

  StoreOptions options_;
  std::unique_ptr<PgPool> pool_;
  // Runs ANALYZE on the partitions the batch grew, once they have doubled since the last time,
  // on a thread of its own: it takes up to a second, which a write must not wait for.
  void analyze_growing(std::span<const model::ScoredFlow> batch);
  std::thread analyzer_;
  std::atomic<bool> analyzing_{false};

  // Whether the connected role owns anomaly_scores (may drop and create partitions).
  Result<bool> owns_schema();
  // Every migration this binary knows is recorded as applied (read-only check).
  Result<bool> schema_up_to_date();
  std::atomic<bool> retention_left_to_owner_{false};

  std::mutex days_mu_;
  std::set<int64_t> known_days_;  // partitions known to exist
  struct Growth {
    int64_t since = 0;     // rows written since the last ANALYZE (about: replays count too)
    int64_t analyzed = 0;  // rows written up to the last ANALYZE
  };
  std::map<int64_t, Growth> growth_;  // by partition day; guarded by days_mu_
};

}  // namespace flowsentry::store
