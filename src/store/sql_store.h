// SqlStore: the parts of Store both backends share — the dashboard queries, alerts and drift
// events — written once against a tiny query primitive each backend provides. SQL uses `?`
// placeholders; the PostgreSQL backend renumbers them.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <unordered_map>
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

  // Host queries (sql_hosts.cc).
  Result<FlowPage> list_flows(const Query& q, const FlowFilter& filter,
                              const std::optional<FlowCursor>& after, int limit) override;
  Result<std::optional<StoredFlow>> find_flow(const FlowCursor& id) override;
  Result<std::vector<HostStat>> top_hosts(const Query& q, HostOrder by, HostRole role,
                                          int limit) override;
  Result<HostDetail> host_detail(const Query& q, const flow::AddressBytes& ip, int limit) override;
  Result<std::vector<StoredAlert>> alerts_naming(double from, double to, std::string_view ip,
                                                 int limit) override;

  // Feedback and suppression rules (sql_feedback.cc).
  Result<Feedback> add_feedback(const Feedback& feedback) override;
  Result<FeedbackPage> list_feedback(const FeedbackFilter& filter, std::optional<int64_t> before,
                                     int limit) override;
  Status delete_feedback(int64_t id) override;
  Result<Suppression> add_suppression(const Suppression& rule) override;
  Result<std::vector<Suppression>> list_suppressions(double now, int limit) override;
  Status delete_suppression(int64_t id) override;
  Result<std::vector<FeedbackFlow>> feedback_flows(double since, int limit) override;

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
  // A condition that `column` (srcip or dstip) lies in `r`, appending its parameters. SQLite
  // compares 16-byte blobs, PostgreSQL inet values; both are range scans of the (ip, stime)
  // indexes.
  virtual std::string address_condition(const char* column, const AddressRange& r,
                                        std::vector<SqlParam>& params) const = 0;
  // Whether top_hosts sums host_rollup_1h here (add_host_rollup) rather than in SQL.
  virtual bool sums_host_rollup_here() const { return false; }
  // Per address (its cell, as address_from_cell reads it), sums of host_rollup_1h over hours
  // [first_hour, end_hour) on the role's side(s), added into `out`.
  using HostSums = std::unordered_map<std::string, HostStat>;
  virtual Status add_host_rollup(int64_t first_hour, int64_t end_hour, HostRole role,
                                 HostSums& out);
  // Whether `FETCH FIRST n ROWS WITH TIES` is available (PostgreSQL).
  virtual bool fetch_with_ties() const { return false; }
  // A query returning a row when the schema_migrations table exists, none otherwise.
  virtual std::string migrations_table_exists_sql() const = 0;

 private:
  Result<std::vector<AggRow>> aggregate(const Query& q, GroupBy by, int64_t bucket, bool kpis);
  std::string host_side_sql(const Query& q, const char* column, double lo, double hi,
                            std::vector<SqlParam>& params) const;
  Result<std::vector<HostStat>> top_hosts_in_sql(const Query& q, HostOrder by, HostRole role,
                                                 int limit, int64_t first_hour, int64_t end_hour);
  std::vector<HostStat> ranked_hosts(HostSums& sums, HostOrder by, int limit) const;
  std::string host_where(const Query& q, const AddressRange& host,
                         std::vector<SqlParam>& params) const;
  Result<HostSummary> host_summary(const Query& q, const AddressRange& host);
  Result<std::vector<HostStat>> host_peers(const Query& q, const AddressRange& host, int limit);
  Result<std::vector<StoredAlert>> select_alerts(const std::string& where,
                                                 std::span<const SqlParam> params);
  Result<std::vector<StoredFlow>> flows(const Query& q, const std::string& from,
                                        const std::string& extra_where, const std::string& order_by,
                                        int limit);
};

// The columns query_flows reads, in its order.
extern const char* const kStoredFlowColumns;

// Appends the proto/service/state filters of `q` (`AND column IN (...)`).
void add_query_filters(const Query& q, std::string& sql, std::vector<SqlParam>& params);

// Adds one part's sums for a host (max_score: the larger).
void add_host_sums(HostStat& h, int64_t flows, int64_t anomalies, double bytes, double max_score);

// Text cell helpers shared by the backends.
double cell_double(const std::optional<std::string>& cell);
int64_t cell_int(const std::optional<std::string>& cell);

}  // namespace flowsentry::store
