// The OpenAPI 3.1 document served at /openapi.json. Schemathesis checks the server against it
// in `make test`, so it must describe every parameter, body and answer exactly.
#include "api/openapi_parts.h"
#include "api/server.h"
#include "common/version.h"
#include "flow/flow_record.h"

namespace flowsentry::api {
namespace oas {

json ref(const std::string& name) {
  return {{"$ref", "#/components/schemas/" + name}};
}

json json_content(const json& schema) {
  return {{"application/json", {{"schema", schema}}}};
}

json error_response(const std::string& description) {
  return {{"description", description}, {"content", json_content(ref("Error"))}};
}

json ok_response(const json& schema, const std::string& description) {
  return {{"description", description}, {"content", json_content(schema)}};
}

json query_param(const std::string& name, const json& schema, const std::string& description) {
  return {{"name", name},
          {"in", "query"},
          {"required", false},
          {"schema", schema},
          {"description", description}};
}

// window/from/to and the category filters, shared by the dashboard queries.
json window_params() {
  return json::array(
      {query_param(
           "window", {{"type", "string"}, {"pattern", "^[0-9]+(\\.[0-9]+)?[smhd]?$"}},
           "Length of the window ending now: 5m, 15m, 1h, 6h, 24h or seconds (default 15m)"),
       query_param("from", {{"type", "number"}, {"minimum", 0}},
                   "Start of the window, epoch seconds (inclusive)"),
       query_param("to", {{"type", "number"}, {"minimum", 0}},
                   "End of the window, epoch seconds (exclusive)"),
       query_param("proto", {{"type", "string"}, {"maxLength", 200}}, "Only this proto"),
       query_param("service", {{"type", "string"}, {"maxLength", 200}}, "Only this service"),
       query_param("state", {{"type", "string"}, {"maxLength", 200}}, "Only this state")});
}

json limit_param(int fallback) {
  return query_param(
      "limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 10000}, {"default", fallback}},
      "Most rows returned");
}

// An initializer_list, not a json: nlohmann would read `{one_param}` as that object itself.
json with(json params, std::initializer_list<json> extra) {
  for (const auto& p : extra) params.push_back(p);
  return params;
}

json get_op(const std::string& summary, const json& params, const json& ok_schema, bool store) {
  json responses{{"200", ok_response(ok_schema)},
                 {"400", error_response("A query parameter is invalid")},
                 {"401", error_response("Missing or wrong bearer token")}};
  if (store) responses["503"] = error_response("No store, or the store failed");
  return {{"summary", summary}, {"parameters", params}, {"responses", responses}};
}

json number_props(std::initializer_list<const char*> names) {
  json props = json::object();
  for (const char* n : names) props[n] = {{"type", "number"}};
  return props;
}

}  // namespace oas

namespace {

using namespace oas;

// Who talked to whom: present on metered flows (capture, pcap files), absent otherwise.
void add_identity(json& props) {
  props["ltime"] = {{"type", "number"}, {"description", "last packet time, epoch seconds"}};
  for (const char* ip : {"srcip", "dstip"}) {
    props[ip] = {{"type", "string"},
                 {"description", "IPv4 or IPv6 address (canonical text)"},
                 {"example", std::string(ip) == "srcip" ? "10.0.0.5" : "2001:db8::2"}};
  }
  for (const char* port : {"sport", "dsport"}) {
    props[port] = {{"type", "integer"},
                   {"minimum", 0},
                   {"maximum", 65535},
                   {"description", "port (ICMP: type/code as Argus writes them)"}};
  }
}

json flow_schema() {
  json props = json::object();
  json required = json::array();
  for (const auto& f : flow::kNumFields) {
    props[std::string(f.name)] = {{"type", {"number", "string"}}, {"description", f.doc}};
    required.push_back(f.name);
  }
  for (const char* c : {"proto", "service", "state"}) {
    props[c] = {{"type", "string"}};
    required.push_back(c);
  }
  props["attack_cat"] = {{"type", {"string", "null"}}};
  props["label"] = {{"type", {"integer", "null"}}, {"enum", {0, 1, nullptr}}};
  props["id"] = {{"type", "integer"}};
  props["stime"] = {{"type", "number"}, {"minimum", 0}};
  add_identity(props);
  return {{"type", "object"},
          {"properties", props},
          {"required", required},
          {"description", "A flow with the UNSW-NB15 features; extra fields are ignored"}};
}

json schemas() {
  json s;
  s["Error"] = {{"type", "object"},
                {"required", {"error", "details"}},
                {"properties",
                 {{"error", {{"type", "string"}}},
                  {"details",
                   {{"type", "array"},
                    {"items",
                     {{"type", "object"},
                      {"required", {"field", "problem"}},
                      {"properties",
                       {{"field", {{"type", "string"}}}, {"problem", {{"type", "string"}}}}}}}}}}}};
  s["Flow"] = flow_schema();
  s["Contribution"] = {{"type", "object"},
                       {"required", {"feature", "value", "contribution"}},
                       {"properties",
                        {{"feature", {{"type", "string"}}},
                         {"value", {{"type", "number"}}},
                         {"contribution", {{"type", "number"}}}}}};
  s["Verdict"] = {
      {"type", "object"},
      {"required",
       {"score", "label", "attack_cat", "attack_cat_prob", "threshold", "model_version"}},
      {"properties",
       {{"score", {{"type", "number"}, {"minimum", 0}, {"maximum", 1}}},
        {"label", {{"type", "integer"}, {"enum", {0, 1}}}},
        {"attack_cat", {{"type", "string"}}},
        {"attack_cat_prob", {{"type", "number"}}},
        {"threshold", {{"type", "number"}}},
        {"model_version", {{"type", "string"}}},
        {"top_features", {{"type", "array"}, {"items", ref("Contribution")}}}}}};
  json stored = number_props({"stime", "score", "sload", "dload", "spkts", "dpkts", "sjit", "djit",
                              "sttl", "dttl", "dur", "tcprtt", "synack", "ackdat"});
  for (const char* k : {"source", "attack_cat", "proto", "service", "state", "model_version"}) {
    stored[k] = {{"type", "string"}};
  }
  for (const char* k : {"partition", "offset", "label", "ct_state_ttl"}) {
    stored[k] = {{"type", "integer"}};
  }
  add_identity(stored);
  stored["id"] = {{"type", "string"},
                  {"description", "stable id of the stored flow, for /api/v1/flows/{id}"},
                  {"example", "1772323200.5_0_42_6b61666b613a666c6f7773"}};
  stored["sbytes"] = {{"type", "number"}};
  stored["dbytes"] = {{"type", "number"}};
  stored["is_anomaly"] = {{"type", "boolean"}};
  for (const char* k : {"srcip", "dstip", "sport", "dsport", "ltime"}) {
    stored[k]["type"] = {stored[k]["type"], "null"};  // null in /api/v1/flows when absent
  }
  stored["attack_cat_prob"] = {{"type", "number"}};
  stored["top_features"] = {{"type", "array"}, {"items", ref("Contribution")}};
  s["StoredFlow"] = {{"type", "object"}, {"properties", stored}, {"required", {"stime", "score"}}};
  s["Flows"] = {{"type", "object"},
                {"required", {"flows"}},
                {"properties", {{"flows", {{"type", "array"}, {"items", ref("StoredFlow")}}}}}};
  return s;
}

json series_schema(json point_props) {
  return {{"type", "object"},
          {"required", {"bucket_seconds", "points"}},
          {"properties",
           {{"bucket_seconds", {{"type", "integer"}}},
            {"points",
             {{"type", "array"}, {"items", {{"type", "object"}, {"properties", point_props}}}}}}}};
}

json flows_op(const std::string& summary, int limit) {
  auto op =
      get_op(summary,
             with(window_params(),
                  {limit_param(limit),
                   query_param("format", {{"type", "string"}, {"enum", {"json", "csv"}}},
                               "csv for a CSV download"),
                   query_param("host", {{"type", "string"}},
                               "only this host's anomalies: an address or CIDR on either side "
                               "(10.0.0.5, 10.0.0.0/8, 2001:db8::/32)")}),
             ref("Flows"));
  op["responses"]["200"]["content"]["text/csv"] = {{"schema", {{"type", "string"}}}};
  return op;
}

json paths() {
  json p;
  p["/healthz"]["get"] = {
      {"summary", "Liveness"},
      {"responses",
       {{"200", ok_response({{"type", "object"},
                             {"required", {"status"}},
                             {"properties", {{"status", {{"type", "string"}}}}}})}}}};
  json ready{{"type", "object"},
             {"required", {"ready"}},
             {"properties",
              {{"ready", {{"type", "boolean"}}},
               {"model_version", {{"type", "string"}}},
               {"store", {{"type", "string"}}},
               {"reason", {{"type", "string"}}}}}};
  p["/readyz"]["get"] = {
      {"summary", "Readiness: model loaded and store reachable"},
      {"responses",
       {{"200", ok_response(ready)}, {"503", ok_response(ready, "Not ready, with the reason")}}}};
  p["/metrics"]["get"] = {
      {"summary", "Prometheus metrics"},
      {"responses",
       {{"200",
         {{"description", "Prometheus text format"},
          {"content", {{"text/plain", {{"schema", {{"type", "string"}}}}}}}}}}}};
  p["/openapi.json"]["get"] = {{"summary", "This document"},
                               {"responses", {{"200", ok_response({{"type", "object"}})}}}};
  p["/predict"]["post"] = {
      {"summary",
       "Score one flow or an array of up to 10,000 flows (api.max_explain_flows when explained)"},
      {"parameters",
       {query_param("explain", {{"type", "string"}, {"enum", {"0", "1"}}},
                    "0 skips the SHAP explanations"),
        query_param("store", {{"type", "string"}, {"enum", {"0", "1"}}},
                    "1 stores the scored flows")}},
      {"requestBody",
       {{"required", true},
        {"content",
         json_content({{"oneOf",
                        {ref("Flow"),
                         {{"type", "array"}, {"items", ref("Flow")}, {"maxItems", 10000}}}}})}}},
      {"responses",
       {{"200", ok_response(
                    {{"oneOf", {ref("Verdict"), {{"type", "array"}, {"items", ref("Verdict")}}}}})},
        {"400", error_response("Invalid flows, each named by JSON pointer")},
        {"401", error_response("Missing or wrong bearer token")},
        {"413", error_response("Body over the size limit")},
        {"415", error_response("Content-Type is not application/json")},
        {"503", error_response("No model, or storing failed")}}}};
  json results{{"type", "object"},
               {"required", {"results"}},
               {"properties",
                {{"results",
                  {{"type", "array"},
                   {"items",
                    {{"type", "object"},
                     {"properties",
                      {{"notifier", {{"type", "string"}}},
                       {"ok", {{"type", "boolean"}}},
                       {"detail", {{"type", "string"}}}}}}}}}}}};
  // A JSON body, even an empty object: a browser may POST text/plain across sites unasked.
  p["/alert-test"]["post"] = {
      {"summary", "Send a test alert through every notifier"},
      {"requestBody", {{"required", true}, {"content", json_content({{"type", "object"}})}}},
      {"responses",
       {{"200", ok_response(results)},
        {"400", error_response("The body is not a JSON object")},
        {"401", error_response("Missing or wrong bearer token")},
        {"415", error_response("Content-Type is not application/json")},
        {"503", error_response("Alerting not configured")}}}};
  json summary_props = number_props({"from", "to", "flows", "anomalies", "anomaly_rate",
                                     "flows_per_second", "alerts_in_window", "threshold"});
  for (const char* k : {"latency_p95_ms", "received", "rejected"}) {
    summary_props[k] = {{"type", {"number", "null"}}};
  }
  summary_props["drift_status"] = {{"type", "string"}, {"enum", {"ok", "drift"}}};
  summary_props["model_version"] = {{"type", "string"}};
  summary_props["model_calibrated"] = {
      {"type", "boolean"},
      {"description", "The model carries a site calibration (flowsentry calibrate)"}};
  summary_props["anomaly_alerts"] = {
      {"type", "string"},
      {"enum", {"on", "off", "off_uncalibrated"}},
      {"description",
       "Whether the model's anomalies raise alerts; off_uncalibrated: metered site traffic "
       "met a model not calibrated for the site (detect.anomaly_alerts=auto)"}};
  p["/api/v1/summary"]["get"] = get_op("Headline figures for the window", window_params(),
                                       {{"type", "object"}, {"properties", summary_props}});
  p["/api/v1/series"]["get"] =
      get_op("Score series: flows, anomalies and mean score per bucket", window_params(),
             series_schema(number_props({"t", "count", "anomalies", "avg_score"})));
  p["/api/v1/kpis"]["get"] =
      get_op("KPI series: per-bucket means", window_params(),
             series_schema(number_props({"t", "count", "sload", "dload", "spkts", "dpkts", "sjit",
                                         "djit", "tcprtt", "synack", "ackdat"})));
  json mix_entry{{"type", "object"},
                 {"properties",
                  {{"value", {{"type", "string"}}},
                   {"normal", {{"type", "integer"}}},
                   {"anomaly", {{"type", "integer"}}}}}};
  p["/api/v1/mix"]["get"] = get_op(
      "Proto or state mix, normal vs anomaly, top-K then other",
      with(window_params(),
           {query_param("column", {{"type", "string"}, {"enum", {"proto", "state", "service"}}},
                        "Column"),
            query_param("k", {{"type", "integer"}, {"minimum", 1}, {"maximum", 50}}, "Top K")}),
      {{"type", "object"},
       {"properties",
        {{"column", {{"type", "string"}}},
         {"entries", {{"type", "array"}, {"items", mix_entry}}}}}});
  p["/api/v1/points"]["get"] = get_op(
      "Individual scores, newest first",
      with(
          window_params(),
          {query_param("limit",
                       {{"type", "integer"}, {"minimum", 1}, {"maximum", 50000}, {"default", 5000}},
                       "Most points returned")}),
      {{"type", "object"},
       {"properties",
        {{"points",
          {{"type", "array"},
           {"items",
            {{"type", "object"}, {"properties", number_props({"t", "score", "label"})}}}}}}}});
  p["/api/v1/heatmap"]["get"] =
      get_op("ct_state_ttl by label counts", window_params(),
             {{"type", "object"},
              {"properties",
               {{"cells",
                 {{"type", "array"},
                  {"items",
                   {{"type", "object"},
                    {"properties", number_props({"ct_state_ttl", "normal", "anomaly"})}}}}}}}});
  p["/api/v1/anomalies/recent"]["get"] = flows_op("Most recent anomalies", 100);
  p["/api/v1/anomalies/top"]["get"] = flows_op("Highest scores", 10);
  p["/api/v1/drift"]["get"] = get_op("Drift events", with(window_params(), {limit_param(100)}),
                                     {{"type", "object"},
                                      {"properties",
                                       {{"events",
                                         {{"type", "array"},
                                          {"items",
                                           {{"type", "object"},
                                            {"properties",
                                             {{"time", {{"type", "number"}}},
                                              {"kind", {{"type", "string"}}},
                                              {"measure", {{"type", "string"}}},
                                              {"value", {{"type", "number"}}},
                                              {"threshold", {{"type", "number"}}},
                                              {"details", {{"type", "object"}}}}}}}}}}}});
  p["/api/v1/alerts"]["get"] =
      get_op("Alerts with delivery status", with(window_params(), {limit_param(100)}),
             {{"type", "object"},
              {"properties",
               {{"alerts",
                 {{"type", "array"},
                  {"items",
                   {{"type", "object"},
                    {"properties",
                     {{"id", {{"type", "string"}}},
                      {"type", {{"type", "string"}}},
                      {"kind", {{"type", "string"}}},
                      {"key", {{"type", "string"}}},
                      {"created", {{"type", "number"}}},
                      {"payload", json::object()},
                      {"delivery_status", {{"type", "string"}}},
                      {"acknowledged", {{"type", "boolean"}}},
                      {"snoozed_until", {{"type", {"number", "null"}}}}}}}}}}}}});
  json id_param{{"name", "id"},
                {"in", "path"},
                {"required", true},
                {"schema", {{"type", "string"}, {"pattern", "^[^/]+$"}}}};
  auto action = [&](const std::string& summary, const json& body) {
    return json{{"summary", summary},
                {"parameters", {id_param}},
                {"requestBody", {{"required", true}, {"content", json_content(body)}}},
                {"responses",
                 {{"200", ok_response({{"type", "object"},
                                       {"properties", {{"ok", {{"type", "boolean"}}}}}})},
                  {"400", error_response("Invalid body")},
                  {"401", error_response("Missing or wrong bearer token")},
                  {"404", error_response("No such alert")},
                  {"415", error_response("Content-Type is not application/json")},
                  {"503", error_response("No store, or the store failed")}}}};
  };
  p["/api/v1/alerts/{id}/ack"]["post"] =
      action("Acknowledge an alert", {{"type", "object"},
                                      {"required", {"acknowledged"}},
                                      {"properties", {{"acknowledged", {{"type", "boolean"}}}}}});
  p["/api/v1/alerts/{id}/snooze"]["post"] =
      action("Snooze an alert until a time (null clears)",
             {{"type", "object"},
              {"required", {"until"}},
              {"properties", {{"until", {{"type", {"number", "null"}}}}}}});
  p["/api/v1/model"]["get"] = {
      {"summary",
       "Active model (metadata, metrics, reference distributions, card) and, with a shadow "
       "model, how the two compare on the same live flows"},
      {"responses",
       {{"200",
         ok_response({{"type", "object"},
                      {"properties",
                       {{"active", {{"type", "string"}}},
                        {"shadow", {{"type", {"string", "null"}}}},
                        {"agreement", {{"type", {"number", "null"}}}},
                        {"histograms",
                         {{"type", "object"},
                          {"properties",
                           {{"bins", {{"type", "array"}, {"items", {{"type", "number"}}}}},
                            {"active", {{"type", "array"}, {"items", {{"type", "integer"}}}}},
                            {"shadow", {{"type", "array"}, {"items", {{"type", "integer"}}}}}}}}},
                        {"comparison", {{"type", "object"}}},
                        {"meta", {{"type", "object"}}},
                        {"metrics", {{"type", "object"}}},
                        {"reference", {{"type", "object"}}},
                        {"model_card", {{"type", "string"}}}}}})},
        {"401", error_response("Missing or wrong bearer token")},
        {"503", error_response("No model loaded")}}}};
  return p;
}

}  // namespace

const nlohmann::json& openapi_document() {
  static const json doc = [] {
    json d;
    d["openapi"] = "3.1.0";
    d["info"] = {{"title", "flowsentry"},
                 {"version", kVersion},
                 {"description", "Real-time network anomaly detection: scoring, queries, health."}};
    d["paths"] = paths();
    d["paths"].update(host_paths());
    d["paths"].update(feedback_paths());
    // Any request whose Host is not in api.allowed_hosts (DNS rebinding) is answered 421.
    for (auto& [path, ops] : d["paths"].items()) {
      for (auto& [method, op] : ops.items()) {
        op["responses"]["421"] = error_response("Host header not in api.allowed_hosts");
      }
    }
    d["components"]["schemas"] = schemas();
    d["components"]["securitySchemes"]["bearer"] = {{"type", "http"}, {"scheme", "bearer"}};
    return d;
  }();
  return doc;
}

}  // namespace flowsentry::api
