// OpenAPI for /api/v1/flows and /api/v1/hosts/*, with an example answer each.
#include "api/openapi_parts.h"

namespace flowsentry::api {
namespace {

using namespace oas;

json address_param(const std::string& name, const std::string& description) {
  auto p = query_param(name, {{"type", "string"}, {"maxLength", 60}}, description);
  p["examples"] = {{"address", {{"value", "10.0.0.5"}}},
                   {"cidr", {{"value", "10.0.0.0/8"}}},
                   {"ipv6", {{"value", "2001:db8::/32"}}}};
  return p;
}

json bounded_limit(int fallback) {
  return query_param(
      "limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", fallback}},
      "Most rows returned");
}

json with_example(json op, const json& example) {
  op["responses"]["200"]["content"]["application/json"]["example"] = example;
  return op;
}

json host_stat_schema() {
  json props = number_props({"flows", "anomalies", "bytes", "max_score"});
  props["ip"] = {{"type", "string"}};
  return {{"type", "object"},
          {"required", {"ip", "flows", "anomalies", "bytes", "max_score"}},
          {"properties", props}};
}

json example_flow() {
  return {{"id", "1772323200.5_0_42_6b61666b613a666c6f7773"},
          {"stime", 1772323200.5},
          {"ltime", 1772323201.25},
          {"srcip", "10.0.0.5"},
          {"sport", 51544},
          {"dstip", "10.0.0.9"},
          {"dsport", 22},
          {"proto", "tcp"},
          {"service", "ssh"},
          {"state", "FIN"},
          {"score", 0.97},
          {"label", 1},
          {"is_anomaly", true},
          {"attack_cat", "Reconnaissance"},
          {"sbytes", 1204},
          {"dbytes", 3380}};
}

json flows_op() {
  auto params = with(window_params(),
                     {address_param("host", "Flows with this address or CIDR on either side"),
                      address_param("src", "Flows from this address or CIDR"),
                      address_param("dst", "Flows to this address or CIDR"),
                      query_param("port", {{"type", "integer"}, {"minimum", 0}, {"maximum", 65535}},
                                  "Flows with this port on either side"),
                      query_param("anomalies", {{"type", "string"}, {"enum", {"true", "false"}}},
                                  "Only anomalies (true) or only normal flows (false)"),
                      bounded_limit(100),
                      query_param("cursor", {{"type", "string"}, {"maxLength", 1100}},
                                  "The previous page's `next`")});
  json schema{{"type", "object"},
              {"required", {"flows", "next"}},
              {"properties",
               {{"flows", {{"type", "array"}, {"items", ref("StoredFlow")}}},
                {"next", {{"type", {"string", "null"}}}}}}};
  return with_example(get_op("Stored flows, newest first, by host, side, port and label (keyset "
                             "pages: pass `next` as `cursor`)",
                             params, schema),
                      {{"flows", {example_flow()}}, {"next", nullptr}});
}

json flow_op() {
  json id{{"name", "id"},
          {"in", "path"},
          {"required", true},
          {"schema", {{"type", "string"}, {"pattern", "^[^/]+$"}}},
          {"description", "A flow's `id` from a flow list"}};
  auto op = get_op("One stored flow by its id", json::array({id}), ref("StoredFlow"));
  op["responses"]["404"] = error_response("No stored flow with this id");
  return with_example(op, example_flow());
}

json top_op() {
  auto params =
      with(window_params(),
           {query_param("by", {{"type", "string"}, {"enum", {"anomalies", "flows", "bytes"}}},
                        "Order by anomalies (default), flows or bytes"),
            query_param("role", {{"type", "string"}, {"enum", {"any", "src", "dst"}}},
                        "Count the host as source, destination or either (default)"),
            bounded_limit(20)});
  json schema{{"type", "object"},
              {"required", {"hosts"}},
              {"properties",
               {{"by", {{"type", "string"}}},
                {"role", {{"type", "string"}}},
                {"hosts", {{"type", "array"}, {"items", host_stat_schema()}}}}}};
  return with_example(get_op("Top hosts in the window", params, schema),
                      {{"by", "anomalies"},
                       {"role", "any"},
                       {"hosts",
                        {{{"ip", "10.0.0.5"},
                          {"flows", 412},
                          {"anomalies", 398},
                          {"bytes", 61240},
                          {"max_score", 0.99}},
                         {{"ip", "10.0.0.9"},
                          {"flows", 96},
                          {"anomalies", 12},
                          {"bytes", 90411},
                          {"max_score", 0.81}}}}});
}

json detail_schema() {
  auto array_of = [](json props) {
    return json{{"type", "array"}, {"items", {{"type", "object"}, {"properties", props}}}};
  };
  json summary = number_props({"flows", "anomalies", "bytes_out", "bytes_in"});
  summary["first"] = {{"type", {"number", "null"}}};
  summary["last"] = {{"type", {"number", "null"}}};
  json port = number_props({"port", "flows", "anomalies"});
  port["proto"] = {{"type", "string"}};
  json cat = number_props({"count"});
  cat["attack_cat"] = {{"type", "string"}};
  return {{"type", "object"},
          {"required", {"ip", "summary", "timeline", "peers", "ports", "categories", "alerts"}},
          {"properties",
           {{"ip", {{"type", "string"}}},
            {"bucket_seconds", {{"type", "integer"}}},
            {"summary", {{"type", "object"}, {"properties", summary}}},
            {"timeline", array_of(number_props({"t", "flows", "anomalies", "max_score"}))},
            {"peers", {{"type", "array"}, {"items", host_stat_schema()}}},
            {"ports", array_of(port)},
            {"categories", array_of(cat)},
            {"alerts", {{"type", "array"}, {"items", {{"type", "object"}}}}}}}};
}

json detail_op() {
  json ip{{"name", "ip"},
          {"in", "path"},
          {"required", true},
          {"schema", {{"type", "string"}, {"pattern", "^[^/]+$"}}},
          {"description", "An IPv4 or IPv6 address"},
          {"example", "10.0.0.5"}};
  auto params = with(window_params(), {bounded_limit(20)});
  params.insert(params.begin(), ip);
  return with_example(
      get_op("One host: summary, timeline, peers, ports, attack categories and alerts naming it",
             params, detail_schema()),
      {{"ip", "10.0.0.5"},
       {"bucket_seconds", 10},
       {"summary",
        {{"flows", 412},
         {"anomalies", 398},
         {"bytes_out", 24810},
         {"bytes_in", 36430},
         {"first", 1772323200.5},
         {"last", 1772323260.1}}},
       {"timeline", {{{"t", 1772323200}, {"flows", 40}, {"anomalies", 38}, {"max_score", 0.99}}}},
       {"peers",
        {{{"ip", "10.0.0.9"},
          {"flows", 70},
          {"anomalies", 66},
          {"bytes", 9120},
          {"max_score", 0.99}}}},
       {"ports", {{{"port", 22}, {"proto", "tcp"}, {"flows", 31}, {"anomalies", 30}}}},
       {"categories", {{{"attack_cat", "Reconnaissance"}, {"count", 380}}}},
       {"alerts",
        {{{"id", "burst-1772323260"},
          {"type", "burst"},
          {"kind", "port_scan"},
          {"created", 1772323260.0},
          {"payload", {{"summary", "10.0.0.5 -> 6 hosts, 412 ports in 60 s"}}},
          {"acknowledged", false}}}}});
}

}  // namespace

nlohmann::json host_paths() {
  json p;
  p["/api/v1/flows"]["get"] = flows_op();
  p["/api/v1/flows/{id}"]["get"] = flow_op();
  p["/api/v1/hosts/top"]["get"] = top_op();
  p["/api/v1/hosts/{ip}"]["get"] = detail_op();
  return p;
}

}  // namespace flowsentry::api
