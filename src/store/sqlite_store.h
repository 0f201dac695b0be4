// SqliteStore: the embedded default. One file in WAL mode, a write connection (batches are one
// transaction through cached prepared statements) and a read connection, so dashboard queries do
// not wait for writes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "store/sql_store.h"

struct sqlite3;
struct sqlite3_stmt;

namespace flowsentry::store {

class RollupBuilder;

class SqliteStore final : public SqlStore {
 public:
  static Result<std::unique_ptr<SqliteStore>> open(const StoreOptions& options,
                                                   const std::string& path);
  ~SqliteStore() override;
  SqliteStore(const SqliteStore&) = delete;
  SqliteStore& operator=(const SqliteStore&) = delete;

  std::string_view backend() const override { return "sqlite"; }
  Result<int64_t> write(std::span<const model::ScoredFlow> batch) override;
  Result<int64_t> apply_retention(double now) override;
  Status migrate() override;

 protected:
  Result<std::vector<SqlRow>> query(const std::string& sql,
                                    std::span<const SqlParam> params) override;
  std::string bucket_expr(int64_t seconds) const override;
  std::optional<std::string> address_from_cell(
      const std::optional<std::string>& cell) const override;
  std::string address_condition(const char* column, const AddressRange& r,
                                std::vector<SqlParam>& params) const override;
  // Steps through the rollup's hours and sums them here: SQLite would sort every row first.
  bool sums_host_rollup_here() const override { return true; }
  Status add_host_rollup(int64_t first_hour, int64_t end_hour, HostRole role,
                         HostSums& out) override;
  std::string migrations_table_exists_sql() const override {
    return "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";
  }

 private:
  struct Conn {
    sqlite3* db = nullptr;
    std::map<std::string, sqlite3_stmt*, std::less<>> stmts;  // prepared once, reused
    std::mutex mu;
  };
  SqliteStore(StoreOptions options, std::string path);
  Status open_conn(Conn& c, bool writer);
  Result<sqlite3_stmt*> prepare(Conn& c, std::string_view sql);
  Status exec(Conn& c, const char* sql);
  Status set_checkpoint_interval(Conn& c);
  Result<std::vector<SqlRow>> run(Conn& c, const std::string& sql,
                                  std::span<const SqlParam> params);
  Error sqlite_error(Conn& c, std::string_view what) const;
  Result<int64_t> write_locked(std::span<const model::ScoredFlow> batch);
  Result<int64_t> insert_flows(std::span<const model::ScoredFlow> flows, int rows);
  Status add_inserted(std::span<const model::ScoredFlow> batch, int64_t rowid_before,
                      int64_t inserted, RollupBuilder& rollups);
  Status upsert_rollups(const RollupBuilder& rollups);
  Status upsert_host_rollup(const RollupBuilder& rollups);

  StoreOptions options_;
  std::string path_;
  Conn writer_;
  Conn reader_;
  bool shared_conn_ = false;               // ":memory:" has one connection for both
  std::vector<std::string> explanations_;  // bound by the writer's insert; reused
  std::vector<std::string> features_;      // the same for the features column
};

}  // namespace flowsentry::store
