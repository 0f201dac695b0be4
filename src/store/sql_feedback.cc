// SqlStore's feedback and suppression rules, the same SQL on both backends.
#include <fmt/format.h>

#include "common/clock.h"
#include "store/sql_store.h"

namespace flowsentry::store {
namespace {

SqlParam text_or_null(const std::optional<std::string>& v) {
  return v ? SqlParam{*v} : SqlParam{nullptr};
}

Error not_found(std::string_view what, int64_t id) {
  return make_error(ErrorCode::kNotFound, fmt::format("no {} with this id", what),
                    fmt::format("{} {}", what, id));
}

constexpr const char* kFeedbackColumns =
    "id, flow_id, alert_id, label, attack_cat, analyst, note, created";

Feedback feedback_from_row(const SqlRow& r) {
  Feedback f;
  f.id = cell_int(r[0]);
  f.flow_id = r[1];
  f.alert_id = r[2];
  f.label = parse_feedback_label(r[3].value_or("")).value_or(FeedbackLabel::kFalsePositive);
  f.attack_cat = r[4];
  f.analyst = r[5].value_or("");
  f.note = r[6].value_or("");
  f.created = cell_double(r[7]);
  return f;
}

constexpr const char* kSuppressionColumns =
    "id, kind, src, dst, service, port, analyst, note, created, expires";

Suppression suppression_from_row(const SqlRow& r) {
  Suppression s;
  s.id = cell_int(r[0]);
  s.kind = r[1];
  s.src = r[2];
  s.dst = r[3];
  s.service = r[4];
  if (r[5]) s.port = cell_int(r[5]);
  s.analyst = r[6].value_or("");
  s.note = r[7].value_or("");
  s.created = cell_double(r[8]);
  s.expires = cell_double(r[9]);
  return s;
}

}  // namespace

// The target must be stored: feedback on nothing could never retrain anything.
Result<Feedback> SqlStore::add_feedback(const Feedback& in) {
  if (in.flow_id.has_value() == in.alert_id.has_value()) {
    return make_error(ErrorCode::kInvalidArgument, "feedback names exactly one flow or alert",
                      "feedback");
  }
  std::optional<FlowCursor> flow;
  if (in.flow_id) {
    flow = decode_flow_id(*in.flow_id);
    if (!flow) return make_error(ErrorCode::kNotFound, "not a flow id", *in.flow_id);
    auto found = find_flow(*flow);
    if (!found.ok()) return found.error();
    if (!*found) return make_error(ErrorCode::kNotFound, "no stored flow", *in.flow_id);
  } else {
    std::vector<SqlParam> p{*in.alert_id};
    auto found = query("SELECT id FROM alerts WHERE id = ?", p);
    if (!found.ok()) return found.error();
    if (found->empty()) return make_error(ErrorCode::kNotFound, "no stored alert", *in.alert_id);
  }
  Feedback out = in;
  out.created = in.created > 0 ? in.created : wall_seconds();
  std::vector<SqlParam> params{text_or_null(in.flow_id),
                               flow ? SqlParam{flow->stime} : SqlParam{nullptr},
                               flow ? SqlParam{flow->key.source} : SqlParam{nullptr},
                               flow ? SqlParam{flow->key.partition} : SqlParam{nullptr},
                               flow ? SqlParam{flow->key.offset} : SqlParam{nullptr},
                               text_or_null(in.alert_id),
                               std::string(feedback_label_name(in.label)),
                               text_or_null(in.attack_cat),
                               in.analyst,
                               in.note,
                               out.created};
  auto rows = query(
      "INSERT INTO feedback (flow_id, flow_stime, flow_source, flow_partition, flow_offset, "
      "alert_id, label, attack_cat, analyst, note, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
      "?, ?) RETURNING id",
      params);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return make_error(ErrorCode::kIo, "insert returned no id", "feedback");
  out.id = cell_int(rows->front()[0]);
  return out;
}

Result<FeedbackPage> SqlStore::list_feedback(const FeedbackFilter& filter,
                                             std::optional<int64_t> before, int limit) {
  std::string sql = fmt::format("SELECT {} FROM feedback WHERE 1 = 1", kFeedbackColumns);
  std::vector<SqlParam> params;
  if (filter.label) {
    sql += " AND label = ?";
    params.emplace_back(std::string(feedback_label_name(*filter.label)));
  }
  if (filter.since) {
    sql += " AND created >= ?";
    params.emplace_back(*filter.since);
  }
  if (before) {
    sql += " AND id < ?";
    params.emplace_back(*before);
  }
  const int n = std::max(limit, 1);
  sql += " ORDER BY id DESC LIMIT ?";
  params.emplace_back(int64_t{n} + 1);  // one more says whether a next page exists
  auto rows = query(sql, params);
  if (!rows.ok()) return rows.error();
  FeedbackPage page;
  for (const auto& r : *rows) {
    if (static_cast<int>(page.items.size()) == n) {
      page.next = page.items.back().id;
      break;
    }
    page.items.push_back(feedback_from_row(r));
  }
  return page;
}

Status SqlStore::delete_feedback(int64_t id) {
  std::vector<SqlParam> params{id};
  auto rows = query("DELETE FROM feedback WHERE id = ? RETURNING id", params);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return not_found("feedback", id);
  return {};
}

Result<Suppression> SqlStore::add_suppression(const Suppression& in) {
  Suppression out = in;
  out.created = in.created > 0 ? in.created : wall_seconds();
  std::vector<SqlParam> params{text_or_null(in.kind),
                               text_or_null(in.src),
                               text_or_null(in.dst),
                               text_or_null(in.service),
                               in.port ? SqlParam{*in.port} : SqlParam{nullptr},
                               in.analyst,
                               in.note,
                               out.created,
                               in.expires};
  auto rows = query(
      "INSERT INTO suppressions (kind, src, dst, service, port, analyst, note, created, "
      "expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
      params);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return make_error(ErrorCode::kIo, "insert returned no id", "suppressions");
  out.id = cell_int(rows->front()[0]);
  return out;
}

Result<std::vector<Suppression>> SqlStore::list_suppressions(double now, int limit) {
  std::vector<SqlParam> params{now, int64_t{std::max(limit, 0)}};
  auto rows = query(fmt::format("SELECT {} FROM suppressions WHERE expires > ? ORDER BY id DESC "
                                "LIMIT ?",
                                kSuppressionColumns),
                    params);
  if (!rows.ok()) return rows.error();
  std::vector<Suppression> out;
  for (const auto& r : *rows) out.push_back(suppression_from_row(r));
  return out;
}

Status SqlStore::delete_suppression(int64_t id) {
  std::vector<SqlParam> params{id};
  auto rows = query("DELETE FROM suppressions WHERE id = ? RETURNING id", params);
  if (!rows.ok()) return rows.error();
  if (rows->empty()) return not_found("suppression rule", id);
  return {};
}

// Joined on the flow's stime and key, which both backends index (the unique key).
Result<std::vector<FeedbackFlow>> SqlStore::feedback_flows(double since, int limit) {
  std::vector<SqlParam> params{since, int64_t{std::max(limit, 0)}};
  auto rows = query(
      "SELECT f.label, f.attack_cat, f.created, a.features, a.stime, a.source, "
      "a.source_partition, a.source_offset, a.attack_cat FROM feedback f JOIN anomaly_scores a ON "
      "a.stime = f.flow_stime AND a.source = f.flow_source AND a.source_partition = "
      "f.flow_partition AND a.source_offset = f.flow_offset WHERE f.created >= ? AND "
      "a.features IS NOT NULL ORDER BY f.created, f.id LIMIT ?",
      params);
  if (!rows.ok()) return rows.error();
  std::vector<FeedbackFlow> out;
  for (const auto& r : *rows) {
    auto flow = decode_features(r[3].value_or(""));
    if (!flow.ok()) continue;  // a damaged row cannot train; the others still can
    FeedbackFlow ff;
    ff.flow = std::move(*flow);
    ff.label = parse_feedback_label(r[0].value_or("")).value_or(FeedbackLabel::kFalsePositive);
    ff.attack_cat = r[1];
    ff.created = cell_double(r[2]);
    ff.model_attack_cat = r[8].value_or("");
    ff.flow.stime = cell_double(r[4]);
    ff.flow.key = {r[5].value_or(""), cell_int(r[6]), cell_int(r[7])};
    out.push_back(std::move(ff));
  }
  return out;
}

}  // namespace flowsentry::store
