// PostgresStore: anomaly_scores partitioned by day, written through COPY into a per-connection
// staging table and moved with INSERT ... ON CONFLICT DO NOTHING (idempotent), rollups updated in
// the same statement from the rows actually inserted; connections from PgPool.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "store/pg_pool.h"
#include "store/sql_store.h"

namespace flowsentry::store {

class PostgresStore final : public SqlStore {
 public:
  static Result<std::unique_ptr<PostgresStore>> open(const StoreOptions& options);

  std::string_view backend() const override { return "postgres"; }
  Result<int64_t> write(std::span<const model::ScoredFlow> batch) override;
  Result<int64_t> apply_retention(double now) override;
  Status migrate() override;
  Result<std::vector<MigrationState>> migration_status() override;

  // Daily partitions (their first second, UTC) that exist now, ascending.
  Result<std::vector<int64_t>> partitions();
  // Creates the partitions for these days (first seconds) if missing.
  Status ensure_partitions(const std::set<int64_t>& days);

 protected:
  Result<std::vector<SqlRow>> query(const std::string& sql,
                                    std::span<const SqlParam> params) override;
  std::string bucket_expr(int64_t seconds) const override;

 private:
  explicit PostgresStore(StoreOptions options, std::unique_ptr<PgPool> pool);
  Result<int64_t> write_on(PgConn& c, std::span<const model::ScoredFlow> batch);
  Result<std::vector<SqlRow>> query_on(PgConn& c, const std::string& sql,
                                       std::span<const SqlParam> params);
  Status exec_on(PgConn& c, const std::string& sql);
  Error pg_error(PgConn& c, std::string_view what, const char* detail) const;

  // Runs f(PgConn&) with a pooled connection; when the connection turns out broken (server
  // restarted), retries on a fresh one. Writes are idempotent, so a retry is safe.
  template <class F>
  auto with_conn(F&& f) -> decltype(f(std::declval<PgConn&>()));

  StoreOptions options_;
  std::unique_ptr<PgPool> pool_;
  std::mutex days_mu_;
  std::set<int64_t> known_days_;  // partitions known to exist
};

}  // namespace flowsentry::store
