// GET /api/v1/...: the dashboard's queries. Each parses its parameters, asks the store, and
// writes JSON (or CSV for the anomaly tables).
#include <fmt/format.h>

#include "api/http_util.h"
#include "api/routes.h"

namespace flowsentry::api {
namespace {

using Req = Request;
using Res = Response;

// Parses the common parameters; on a problem answers 400 and returns nullopt.
std::optional<store::Query> query_or_400(const Req& req, Res& res, std::vector<Problem>& problems) {
  auto q = parse_query(req, wall_seconds(), problems);
  if (!problems.empty()) {
    send_error(res, 400, "bad query parameter", problems);
    return std::nullopt;
  }
  return q;
}

template <class T>
bool ok_or_503(const Result<T>& r, Res& res) {
  if (r.ok()) return true;
  send_error(res, 503, "store query failed: " + r.error().message);
  return false;
}

nlohmann::json series_json(const store::ScoreSeries& s) {
  auto points = nlohmann::json::array();
  for (const auto& p : s.points) {
    points.push_back(
        {{"t", p.t}, {"count", p.count}, {"anomalies", p.anomalies}, {"avg_score", p.avg_score}});
  }
  return {{"bucket_seconds", s.bucket_seconds}, {"points", std::move(points)}};
}

nlohmann::json kpis_json(const store::KpiSeries& s) {
  auto points = nlohmann::json::array();
  for (const auto& p : s.points) {
    points.push_back({{"t", p.t},
                      {"count", p.count},
                      {"sload", p.sload},
                      {"dload", p.dload},
                      {"spkts", p.spkts},
                      {"dpkts", p.dpkts},
                      {"sjit", p.sjit},
                      {"djit", p.djit},
                      {"tcprtt", p.tcprtt},
                      {"synack", p.synack},
                      {"ackdat", p.ackdat}});
  }
  return {{"bucket_seconds", s.bucket_seconds}, {"points", std::move(points)}};
}

nlohmann::json drift_json(const store::DriftEvent& e) {
  auto details = nlohmann::json::parse(e.details_json, nullptr, false);
  return {{"time", e.time},
          {"kind", e.kind},
          {"measure", e.measure},
          {"value", e.value},
          {"threshold", e.threshold},
          {"details", details.is_discarded() ? nlohmann::json::object() : details}};
}

// format must be json or csv (and given once), checked before the query runs.
void check_format(const Req& req, std::vector<Problem>& problems) {
  if (!req.has_param("format")) return;
  auto v = req.get_param_value("format");
  if (req.get_param_value_count("format") != 1 || (v != "json" && v != "csv")) {
    problems.push_back({"format", "expected json or csv"});
  }
}

void send_flows(const Req& req, Res& res, const std::vector<store::StoredFlow>& flows) {
  if (wants_csv(req)) {
    res.set_header("Content-Disposition", "attachment; filename=\"anomalies.csv\"");
    res.set_content(flows_csv(flows), "text/csv");
    return;
  }
  auto arr = nlohmann::json::array();
  for (const auto& f : flows) arr.push_back(flow_json(f));
  send_json(res, {{"flows", std::move(arr)}});
}

// The anomaly tables: the window's anomalies, newest first (recent) or highest score first
// (top); with `host` (an address or CIDR on either side) only that host's, so the dashboard's
// tables and CSV exports honour its host filter.
void anomalies(const ApiContext& ctx, const Req& req, Res& res, bool top) {
  std::vector<Problem> problems;
  int limit = int_param(req, "limit", top ? 10 : 100, 1, 10000, problems);
  check_format(req, problems);
  auto host = range_param(req, "host", problems);
  auto q = query_or_400(req, res, problems);
  if (!q) return;
  if (!host) {
    auto r = top ? ctx.store->top_scores(*q, limit) : ctx.store->recent_anomalies(*q, limit);
    if (ok_or_503(r, res)) send_flows(req, res, *r);
    return;
  }
  store::FlowFilter f;
  f.host = host;
  f.anomalies = true;
  f.by_score = top;
  auto page = ctx.store->list_flows(*q, f, std::nullopt, limit);
  if (ok_or_503(page, res)) send_flows(req, res, page->flows);
}

void summary(const ApiContext& ctx, const Req& req, Res& res) {
  std::vector<Problem> problems;
  auto q = query_or_400(req, res, problems);
  if (!q) return;
  auto series = ctx.store->score_series(*q);
  if (!ok_or_503(series, res)) return;
  int64_t flows = 0, anomalies = 0;
  for (const auto& p : series->points) {
    flows += p.count;
    anomalies += p.anomalies;
  }
  auto alerts = ctx.store->list_alerts(q->from, q->to, 10000);
  if (!ok_or_503(alerts, res)) return;
  auto drift = ctx.store->list_drift(q->from, q->to, 100);
  if (!ok_or_503(drift, res)) return;
  // A model change is stored with the drift events (for the timeline) but is not drift.
  std::erase_if(*drift, [](const store::DriftEvent& e) { return e.kind == "model_changed"; });
  double seconds = std::max(1.0, std::min(q->to, wall_seconds()) - q->from);
  nlohmann::json body{{"from", q->from},
                      {"to", q->to},
                      {"flows", flows},
                      {"anomalies", anomalies},
                      {"anomaly_rate", flows ? static_cast<double>(anomalies) / flows : 0.0},
                      {"flows_per_second", static_cast<double>(flows) / seconds},
                      {"latency_p95_ms", nullptr},
                      {"drift_status", drift->empty() ? "ok" : "drift"},
                      {"alerts_in_window", alerts->size()},
                      {"received", nullptr},
                      {"rejected", nullptr}};
  if (const auto scorer = ctx.current_scorer()) {
    body["model_version"] = scorer->model_version();
    body["threshold"] = scorer->threshold();
    body["model_calibrated"] = scorer->meta().calibration.has_value();
  }
  if (ctx.pipeline_status) {
    auto live = ctx.pipeline_status();  // a named object: items() must not outlive it
    for (auto& [k, v] : live.items()) body[k] = v;
  }
  send_json(res, body);
}

store::MixColumn mix_column(const Req& req, std::vector<Problem>& problems) {
  auto c = req.has_param("column") ? req.get_param_value("column") : "proto";
  if (c != "proto" && c != "state" && c != "service") {
    problems.push_back({"column", "expected proto, state or service"});
  }
  return c == "state"     ? store::MixColumn::kState
         : c == "service" ? store::MixColumn::kService
                          : store::MixColumn::kProto;
}

// The active model's artifact, and how a shadow model compares with it on live flows.
void model_info(const ApiContext& ctx, Res& res) {
  const auto scorer = ctx.current_scorer();
  if (!scorer) {
    send_error(res, 503, "no model loaded");
    return;
  }
  const auto& a = scorer->artifact();
  nlohmann::json body{{"active", scorer->model_version()},
                      {"shadow", nullptr},
                      {"agreement", nullptr},
                      {"meta", a.meta.to_json()},
                      {"metrics", a.metrics},
                      {"reference", a.reference},
                      {"model_card", model::render_model_card(a.meta, a.metrics)}};
  if (ctx.models && ctx.models->shadow()) {
    auto stats = ctx.models->shadow_stats().to_json();
    body["shadow"] = stats["shadow"];
    body["agreement"] = stats["agreement"];
    body["histograms"] = stats["histograms"];
    body["comparison"] = std::move(stats);
  }
  send_json(res, body);
}

void alert_action(const ApiContext& ctx, const Req& req, Res& res, bool snooze) {
  auto body = nlohmann::json::parse(req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    send_error(res, 400, "body must be a JSON object", {{"/", "invalid JSON"}});
    return;
  }
  std::string id = req.matches[1];
  Status st;
  if (snooze) {
    if (!body.contains("until") || !(body["until"].is_number() || body["until"].is_null())) {
      send_error(res, 400, "bad body", {{"/until", "expected epoch seconds or null"}});
      return;
    }
    std::optional<double> until;
    if (body["until"].is_number()) until = body["until"].get<double>();
    st = ctx.store->snooze_alert(id, until);
  } else {
    if (!body.contains("acknowledged") || !body["acknowledged"].is_boolean()) {
      send_error(res, 400, "bad body", {{"/acknowledged", "expected true or false"}});
      return;
    }
    st = ctx.store->acknowledge_alert(id, body["acknowledged"].get<bool>());
  }
  if (!st.ok()) {
    if (st.error().code == ErrorCode::kNotFound) {
      send_error(res, 404, "no alert with id " + id);
    } else {
      send_error(res, 503, "store update failed: " + st.error().message);
    }
    return;
  }
  send_json(res, {{"ok", true}});
}

}  // namespace

void add_query_routes(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  // Every store-backed route answers 503 when this process has no store.
  auto with_store = [ctx](auto handler) {
    return [ctx, handler](const Req& req, Res& res) {
      if (!ctx->store) {
        send_error(res, 503, "this process has no store (start it with --store)");
        return;
      }
      handler(req, res);
    };
  };
  router.add("GET", "/api/v1/summary",
             with_store([ctx](const Req& req, Res& res) { summary(*ctx, req, res); }));
  router.add("GET", "/api/v1/series", with_store([ctx](const Req& req, Res& res) {
               std::vector<Problem> problems;
               auto q = query_or_400(req, res, problems);
               if (!q) return;
               auto r = ctx->store->score_series(*q);
               if (ok_or_503(r, res)) send_json(res, series_json(*r));
             }));
  router.add("GET", "/api/v1/kpis", with_store([ctx](const Req& req, Res& res) {
               std::vector<Problem> problems;
               auto q = query_or_400(req, res, problems);
               if (!q) return;
               auto r = ctx->store->kpi_series(*q);
               if (ok_or_503(r, res)) send_json(res, kpis_json(*r));
             }));
  router.add(
      "GET", "/api/v1/mix", with_store([ctx](const Req& req, Res& res) {
        std::vector<Problem> problems;
        auto column = mix_column(req, problems);
        int k = int_param(req, "k", 8, 1, 50, problems);
        auto q = query_or_400(req, res, problems);
        if (!q) return;
        auto r = ctx->store->mix(*q, column, k);
        if (!ok_or_503(r, res)) return;
        auto entries = nlohmann::json::array();
        for (const auto& e : r->entries) {
          entries.push_back({{"value", e.value}, {"normal", e.normal}, {"anomaly", e.anomaly}});
        }
        const char* name = column == store::MixColumn::kState     ? "state"
                           : column == store::MixColumn::kService ? "service"
                                                                  : "proto";
        send_json(res, {{"column", name}, {"entries", std::move(entries)}});
      }));
  router.add("GET", "/api/v1/points", with_store([ctx](const Req& req, Res& res) {
               std::vector<Problem> problems;
               int limit = int_param(req, "limit", 5000, 1, 50000, problems);
               auto q = query_or_400(req, res, problems);
               if (!q) return;
               auto r = ctx->store->score_samples(*q, limit);
               if (!ok_or_503(r, res)) return;
               auto points = nlohmann::json::array();
               for (const auto& p : *r) {
                 points.push_back({{"t", p.t}, {"score", p.score}, {"label", p.label}});
               }
               send_json(res, {{"points", std::move(points)}});
             }));
  router.add(
      "GET", "/api/v1/heatmap", with_store([ctx](const Req& req, Res& res) {
        std::vector<Problem> problems;
        auto q = query_or_400(req, res, problems);
        if (!q) return;
        auto r = ctx->store->ct_state_ttl_counts(*q);
        if (!ok_or_503(r, res)) return;
        auto cells = nlohmann::json::array();
        for (const auto& c : *r) {
          cells.push_back(
              {{"ct_state_ttl", c.ct_state_ttl}, {"normal", c.normal}, {"anomaly", c.anomaly}});
        }
        send_json(res, {{"cells", std::move(cells)}});
      }));
  router.add("GET", "/api/v1/anomalies/recent",
             with_store([ctx](const Req& req, Res& res) { anomalies(*ctx, req, res, false); }));
  router.add("GET", "/api/v1/anomalies/top",
             with_store([ctx](const Req& req, Res& res) { anomalies(*ctx, req, res, true); }));
  router.add("GET", "/api/v1/drift", with_store([ctx](const Req& req, Res& res) {
               std::vector<Problem> problems;
               int limit = int_param(req, "limit", 100, 1, 10000, problems);
               auto q = query_or_400(req, res, problems);
               if (!q) return;
               auto r = ctx->store->list_drift(q->from, q->to, limit);
               if (!ok_or_503(r, res)) return;
               auto events = nlohmann::json::array();
               for (const auto& e : *r) events.push_back(drift_json(e));
               send_json(res, {{"events", std::move(events)}});
             }));
  router.add("GET", "/api/v1/alerts", with_store([ctx](const Req& req, Res& res) {
               std::vector<Problem> problems;
               int limit = int_param(req, "limit", 100, 1, 10000, problems);
               auto q = query_or_400(req, res, problems);
               if (!q) return;
               auto r = ctx->store->list_alerts(q->from, q->to, limit);
               if (!ok_or_503(r, res)) return;
               auto alerts = nlohmann::json::array();
               for (const auto& a : *r) alerts.push_back(alert_json(a));
               send_json(res, {{"alerts", std::move(alerts)}});
             }));
  router.add("POST", "/api/v1/alerts/{id}/ack",
             with_store([ctx](const Req& req, Res& res) { alert_action(*ctx, req, res, false); }));
  router.add("POST", "/api/v1/alerts/{id}/snooze",
             with_store([ctx](const Req& req, Res& res) { alert_action(*ctx, req, res, true); }));
  router.add("GET", "/api/v1/model", [ctx](const Req&, Res& res) { model_info(*ctx, res); });
}

}  // namespace flowsentry::api
