// SqlStore: the parts of Store both backends share — the dashboard queries, alerts and drift
// events — written once against a tiny query primitive each backend provides. SQL uses `?`
// placeholders; the PostgreSQL backend renumbers them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "store/aggregate.h"
#include "store/store.h"

namespace flowsentry::store {

using SqlParam = std::variant<std::nullptr_t, int64_t, double, std::string>;
using SqlRow = std::vector<std::optional<std::string>>;  // NULL = nullopt; numbers as text

class SqlStore : public Store {
 public:
  Status record_alert(const StoredAlert& alert) override;
  Status acknowledge_alert(std::string_view id, bool acknowledged) override;
  Status snooze_alert(std::string_view id, std::optional<double> until) override;
  Result<std::vector<StoredAlert>> list_alerts(double from, double to, int limit) override;
  Status record_drift(const DriftEvent& event) override;
  Result<std::vector<DriftEvent>> list_drift(double from, double to, int limit) override;

  Result<ScoreSeries> score_series(const Query& q) override;
  Result<KpiSeries> kpi_series(const Query& q) override;
  Result<Mix> mix(const Query& q, MixColumn column, int top_k) override;
  Result<std::vector<CtStateTtlCell>> ct_state_ttl_counts(const Query& q) override;
  Result<std::vector<StoredFlow>> recent_anomalies(const Query& q, int limit) override;
  Result<std::vector<StoredFlow>> top_scores(const Query& q, int limit) override;
  Result<int64_t> count(const Query& q) override;
  Result<std::vector<ScoreSample>> score_samples(const Query& q, int limit) override;

  // Every migration this build knows merged with the rows of schema_migrations.
  Result<std::vector<MigrationState>> migration_status() override;

 protected:
  // Runs one statement (reads go to a read connection where the backend has one).
  virtual Result<std::vector<SqlRow>> query(const std::string& sql,
                                            std::span<const SqlParam> params) = 0;
  // A query selecting kFlowColumns, read into flows.
  Result<std::vector<StoredFlow>> query_flows(const std::string& sql,
                                              std::span<const SqlParam> params);
  // SQL for the start of the `seconds`-long bucket holding raw column stime. The hour bucket
  // must read exactly as in the anomaly_scores_hour_score index of migration 004.
  virtual std::string bucket_expr(int64_t seconds) const = 0;
  // An address column's cell as canonical text (SQLite keeps 16-byte blobs, PostgreSQL inet).
  virtual std::optional<std::string> address_from_cell(
      const std::optional<std::string>& cell) const = 0;
  // Whether `FETCH FIRST n ROWS WITH TIES` is available (PostgreSQL).
  virtual bool fetch_with_ties() const { return false; }
  // A query returning a row when the schema_migrations table exists, none otherwise.
  virtual std::string migrations_table_exists_sql() const = 0;

 private:
  Result<std::vector<AggRow>> aggregate(const Query& q, GroupBy by, int64_t bucket, bool kpis);
  Result<std::vector<StoredFlow>> flows(const Query& q, const std::string& from,
                                        const std::string& extra_where, const std::string& order_by,
                                        int limit);
};

// Text cell helpers shared by the backends.
double cell_double(const std::optional<std::string>& cell);
int64_t cell_int(const std::optional<std::string>& cell);

}  // namespace flowsentry::store
