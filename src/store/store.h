// Store: where every verdict, alert and drift event goes, and the aggregate queries the dashboard
// reads. Two backends behind one interface: SQLite (default, one file) and PostgreSQL.
//
// Times are seconds since the Unix epoch (UTC) as double, like FlowRecord::stime.
//
// Idempotency: a flow's identity is its record key (source, partition, offset). Writing a batch
// twice stores it once, and the rollups count only rows actually inserted. The store does not
// stamp times: every flow must carry stime (the pipeline stamps it before storing, from a value
// that survives a replay, e.g. the Kafka message timestamp), because PostgreSQL's unique key has
// to include the partition column stime. A batch with a flow without stime is rejected whole.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "model/verdict.h"
#include "store/feedback.h"
#include "store/hosts.h"

namespace flowsentry::store {

// Filters and window shared by every dashboard query. Empty strings match anything; a filter
// is one value or a comma-separated list of values ("tcp,udp"), any of which matches.
struct Query {
  double from = 0;  // inclusive
  double to = 0;    // exclusive
  std::string proto;
  std::string service;
  std::string state;
};

// The values of a filter: split on commas, spaces around each trimmed, empty ones dropped.
std::vector<std::string> filter_values(std::string_view list);
// Whether `value` is one of the filter's values (an empty filter matches everything).
bool filter_matches(std::string_view list, std::string_view value);

struct ScorePoint {
  int64_t t = 0;  // bucket start, a multiple of the bucket size
  int64_t count = 0;
  int64_t anomalies = 0;  // flows the model labelled 1
  double avg_score = 0;
};

struct ScoreSeries {
  int64_t bucket_seconds = 0;
  std::vector<ScorePoint> points;  // only buckets with flows, ascending
};

// Per-bucket averages of the dashboard KPIs.
struct KpiPoint {
  int64_t t = 0;
  int64_t count = 0;
  double sload = 0, dload = 0, spkts = 0, dpkts = 0, sjit = 0, djit = 0;
  double tcprtt = 0, synack = 0, ackdat = 0;
};

struct KpiSeries {
  int64_t bucket_seconds = 0;
  std::vector<KpiPoint> points;
};

struct MixEntry {
  std::string value;  // a proto or state, or "other" for the rest
  int64_t normal = 0;
  int64_t anomaly = 0;
};

// Top-K values by total count (descending, ties by value), then one "other" entry when
// more values exist.
struct Mix {
  std::vector<MixEntry> entries;
};

enum class MixColumn { kProto, kState, kService };

struct CtStateTtlCell {
  int64_t ct_state_ttl = 0;
  int64_t normal = 0;
  int64_t anomaly = 0;
};

// One stored verdict, as the anomaly tables show it.
struct StoredFlow {
  flow::RecordKey key;
  double stime = 0;
  double score = 0;
  int label = 0;
  std::string attack_cat;
  std::string proto, service, state;
  std::string model_version;
  double sload = 0, dload = 0, spkts = 0, dpkts = 0, sjit = 0, djit = 0;
  double sttl = 0, dttl = 0, dur = 0, tcprtt = 0, synack = 0, ackdat = 0;
  int64_t ct_state_ttl = 0;
  // Identity of a metered flow; absent for flows without it (the UNSW-NB15 CSVs). Addresses in
  // canonical text (dotted IPv4, RFC 5952 IPv6).
  std::optional<double> ltime;
  std::optional<std::string> srcip, dstip;
  std::optional<int64_t> sport, dsport;
  double sbytes = 0, dbytes = 0;  // 0 for flows stored before migration sqlite 007 / postgres 006
  // {"attack_cat_prob": p, "top_features": [{feature, value, contribution}]}; may be empty.
  std::string explanation_json;
};

// A page of the flow list, newest first; `next` continues after its last flow when more match.
struct FlowPage {
  std::vector<StoredFlow> flows;
  std::optional<FlowCursor> next;
};

// One stored score, for the dashboard's scatter of individual flows.
struct ScoreSample {
  double t = 0;
  double score = 0;
  int label = 0;
};

// The explanation column's JSON for a verdict.
std::string explanation_json(const model::Verdict& v);

struct StoredAlert {
  std::string id;    // unique; recording the same id again updates the alert
  std::string type;  // "burst", "drift", "single_flow", ...
  std::string key;   // de-duplication key
  double created = 0;
  std::string payload_json;
  std::string delivery_status;  // "pending", "sent", "failed: ..."
  bool acknowledged = false;
  std::optional<double> snoozed_until;
};

struct DriftEvent {
  double time = 0;
  std::string kind;     // "score" (ADWIN) or "mix"
  std::string measure;  // "adwin", "js", "psi", ...
  double value = 0;
  double threshold = 0;
  std::string details_json;
};

struct MigrationState {
  int64_t version = 0;
  std::string name;
  bool applied = false;
  std::optional<double> applied_at;
};

struct StoreOptions {
  std::string url;           // file path, sqlite:PATH, or postgresql://...
  int retention_days = 7;    // apply_retention() drops flows older than this (whole days)
  int pool_max = 8;          // PostgreSQL connections held at most
  int partitions_ahead = 2;  // PostgreSQL daily partitions created ahead of today
  bool migrate = true;       // apply pending migrations on open
  // Share of normal flows whose full features are kept for retraining (anomalies always are),
  // when keep_features is on; off keeps none.
  double feature_sample = 0.01;
  bool keep_features = true;
  // The sample keeps_features() takes: -1 (none) when keep_features is off.
  double effective_feature_sample() const { return keep_features ? feature_sample : -1; }
};

class Store {
 public:
  virtual ~Store() = default;

  virtual std::string_view backend() const = 0;  // "sqlite" or "postgres"

  // Stores the batch in one transaction; flows already stored (same key) are skipped.
  // Returns how many flows were newly stored.
  virtual Result<int64_t> write(std::span<const model::ScoredFlow> batch) = 0;

  virtual Status record_alert(const StoredAlert& alert) = 0;
  virtual Status acknowledge_alert(std::string_view id, bool acknowledged) = 0;
  virtual Status snooze_alert(std::string_view id, std::optional<double> until) = 0;
  // Alerts created in [from, to), newest first.
  virtual Result<std::vector<StoredAlert>> list_alerts(double from, double to, int limit) = 0;
  virtual Status record_drift(const DriftEvent& event) = 0;
  virtual Result<std::vector<DriftEvent>> list_drift(double from, double to, int limit) = 0;

  // Dashboard queries. Long windows read the rollups; the edges of the window that do not
  // line up with a rollup bucket are read from the raw rows, so answers are exact.
  virtual Result<ScoreSeries> score_series(const Query& q) = 0;
  virtual Result<KpiSeries> kpi_series(const Query& q) = 0;
  virtual Result<Mix> mix(const Query& q, MixColumn column, int top_k) = 0;
  virtual Result<std::vector<CtStateTtlCell>> ct_state_ttl_counts(const Query& q) = 0;
  // Label-1 flows, newest first (ties: key order).
  virtual Result<std::vector<StoredFlow>> recent_anomalies(const Query& q, int limit) = 0;
  // Highest scores first (ties: newest first, then key order).
  virtual Result<std::vector<StoredFlow>> top_scores(const Query& q, int limit) = 0;
  virtual Result<int64_t> count(const Query& q) = 0;
  // Individual scores, newest first, at most `limit`.
  virtual Result<std::vector<ScoreSample>> score_samples(const Query& q, int limit) = 0;

  // Host queries (hosts.h). Flows in the window matching `filter`, newest first (ties: key
  // descending), starting after `after`; at most `limit` per page.
  virtual Result<FlowPage> list_flows(const Query& q, const FlowFilter& filter,
                                      const std::optional<FlowCursor>& after, int limit) = 0;
  // The flow stored under this stime and key, if any.
  virtual Result<std::optional<StoredFlow>> find_flow(const FlowCursor& id) = 0;
  // Hosts with the most anomalies, flows or bytes in the window, on one side or either.
  virtual Result<std::vector<HostStat>> top_hosts(const Query& q, HostOrder by, HostRole role,
                                                  int limit) = 0;
  // One host's flows in the window: summary, timeline, top `limit` peers and ports, anomaly
  // categories.
  virtual Result<HostDetail> host_detail(const Query& q, const flow::AddressBytes& ip,
                                         int limit) = 0;
  // Alerts created in [from, to) whose payload names `ip` (names_address), newest first.
  virtual Result<std::vector<StoredAlert>> alerts_naming(double from, double to,
                                                         std::string_view ip, int limit) = 0;

  // Analyst feedback (feedback.h). add_feedback refuses (kNotFound) a flow or alert not stored;
  // it returns the entry with its id. Pages are newest first, after the id `before` when given.
  virtual Result<Feedback> add_feedback(const Feedback& feedback);
  virtual Result<FeedbackPage> list_feedback(const FeedbackFilter& filter,
                                             std::optional<int64_t> before, int limit);
  virtual Status delete_feedback(int64_t id);  // kNotFound when there is none
  virtual Result<Suppression> add_suppression(const Suppression& rule);
  // Rules still in force at `now` (expires > now), newest first, at most `limit`.
  virtual Result<std::vector<Suppression>> list_suppressions(double now, int limit);
  virtual Status delete_suppression(int64_t id);  // kNotFound when there is none
  // Flow feedback given at or after `since`, oldest first, at most `limit`, each with its flow's
  // every feature: what retraining adds. Flows whose features were not kept are left out.
  virtual Result<std::vector<FeedbackFlow>> feedback_flows(double since, int limit);

  // Drops flows (and their rollups), alerts (test alerts too) and drift events older than the
  // start of the UTC day `retention_days` before `now`, feedback given before it and rules
  // that expired before it. Returns how many daily partitions
  // (PostgreSQL) or rows (SQLite) went.
  virtual Result<int64_t> apply_retention(double now) = 0;
  // Creates what writes in the days after `now` need: PostgreSQL's daily partitions up to
  // `partitions_ahead` days ahead. Nothing to do on SQLite. store::Maintenance runs this and
  // apply_retention() periodically.
  virtual Status prepare_ahead(double /*now*/) { return {}; }

  virtual Status migrate() = 0;
  virtual Result<std::vector<MigrationState>> migration_status() = 0;
};

// Opens the store a URL names: "postgresql://..." or "postgres://..." -> PostgreSQL;
// "sqlite:PATH" or a plain path -> SQLite.
Result<std::unique_ptr<Store>> open_store(const StoreOptions& options);
Result<std::unique_ptr<Store>> open_store(std::string_view url);

// The bucket size a series over `window_seconds` uses: the smallest of 10 s, 30 s, 1, 5, 15,
// 30 min, 1, 3, 6 h, 1 d that gives at most 360 points.
int64_t bucket_seconds_for(double window_seconds);

}  // namespace flowsentry::store
