// OpenAPI for analyst feedback (/api/v1/flows/{id}/feedback, /api/v1/alerts/{id}/feedback,
// /api/v1/feedback) and suppression rules (/api/v1/suppressions).
#include "api/openapi_parts.h"

namespace flowsentry::api {
namespace {

using namespace oas;

json nullable(const char* type) {
  return {{"type", {type, "null"}}};
}

json text(int max) {
  return {{"type", "string"}, {"minLength", 1}, {"maxLength", max}};
}

json label_schema() {
  return {{"type", "string"}, {"enum", {"true_positive", "false_positive", "benign_expected"}}};
}

json path_id(const std::string& description, bool integer) {
  return {{"name", "id"},
          {"in", "path"},
          {"required", true},
          {"schema", integer ? json{{"type", "string"}, {"pattern", "^[1-9][0-9]{0,17}$"}}
                             : json{{"type", "string"}, {"pattern", "^[^/]+$"}}},
          {"description", description}};
}

json feedback_schema() {
  return {{"type", "object"},
          {"required",
           {"id", "flow_id", "alert_id", "label", "attack_cat", "analyst", "note", "created"}},
          {"properties",
           {{"id", {{"type", "integer"}}},
            {"flow_id", nullable("string")},
            {"alert_id", nullable("string")},
            {"label", label_schema()},
            {"attack_cat", nullable("string")},
            {"analyst", {{"type", "string"}}},
            {"note", {{"type", "string"}}},
            {"created", {{"type", "number"}}}}}};
}

json feedback_body() {
  return {{"type", "object"},
          {"required", {"label", "analyst"}},
          {"additionalProperties", false},
          {"properties",
           {{"label", label_schema()},
            {"attack_cat",
             {{"type", {"string", "null"}},
              {"description", "Corrected category, one of the model's classes (e.g. Exploits)"}}},
            {"analyst", text(100)},
            {"note", {{"type", {"string", "null"}}, {"maxLength", 2000}}}}}};
}

json rule_props() {
  return {{"kind", nullable("string")},      {"src", nullable("string")},
          {"dst", nullable("string")},       {"service", nullable("string")},
          {"port", nullable("integer")},     {"analyst", {{"type", "string"}}},
          {"note", {{"type", "string"}}},    {"created", {{"type", "number"}}},
          {"expires", {{"type", "number"}}}, {"id", {{"type", "integer"}}}};
}

json rule_schema() {
  return {
      {"type", "object"},
      {"required",
       {"id", "kind", "src", "dst", "service", "port", "analyst", "note", "created", "expires"}},
      {"properties", rule_props()}};
}

json rule_body() {
  return {{"type", "object"},
          {"required", {"analyst"}},
          {"additionalProperties", false},
          {"properties",
           {{"kind", {{"type", {"string", "null"}}, {"description", "Alert kind, e.g. port_scan"}}},
            {"src", {{"type", {"string", "null"}}, {"description", "Address or CIDR"}}},
            {"dst", {{"type", {"string", "null"}}, {"description", "Address or CIDR"}}},
            {"service", {{"type", {"string", "null"}}}},
            {"port", {{"type", {"integer", "null"}}, {"minimum", 0}, {"maximum", 65535}}},
            {"expires",
             {{"type", {"number", "null"}},
              {"description", "Epoch seconds, within 90 days; absent: in 90 days"}}},
            {"analyst", text(100)},
            {"note", {{"type", {"string", "null"}}, {"maxLength", 2000}}}}}};
}

json write_op(const std::string& summary, json params, const json& body, const json& answer,
              const std::string& not_found) {
  json responses{{"201", {{"description", "Stored"}, {"content", json_content(answer)}}},
                 {"400", error_response("A field of the body is invalid (named in details)")},
                 {"401", error_response("Missing or wrong bearer token")},
                 {"413", error_response("Body over 16 KiB")},
                 {"415", error_response("Content-Type is not application/json")},
                 {"503", error_response("No store, or the store failed")}};
  if (!not_found.empty()) responses["404"] = error_response(not_found);
  return {{"summary", summary},
          {"parameters", std::move(params)},
          {"requestBody", {{"required", true}, {"content", json_content(body)}}},
          {"responses", responses}};
}

json delete_op(const std::string& summary) {
  return {
      {"summary", summary},
      {"parameters", json::array({path_id("The id it was stored under", true)})},
      {"responses",
       {{"200", ok_response({{"type", "object"}, {"properties", {{"ok", {{"type", "boolean"}}}}}})},
        {"400", error_response("Not an id")},
        {"401", error_response("Missing or wrong bearer token")},
        {"404", error_response("Nothing stored under this id")},
        {"503", error_response("No store, or the store failed")}}}};
}

json list_feedback_op() {
  json params = json::array(
      {query_param("label", label_schema(), "Only feedback with this label"),
       query_param("since", {{"type", "number"}}, "Only feedback given at or after (epoch s)"),
       query_param("cursor", {{"type", "string"}, {"pattern", "^[0-9]{1,18}$"}},
                   "The previous page's `next`"),
       query_param("limit",
                   {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}},
                   "Most entries returned")});
  json schema{{"type", "object"},
              {"required", {"feedback", "next"}},
              {"properties",
               {{"feedback", {{"type", "array"}, {"items", feedback_schema()}}},
                {"next", nullable("string")}}}};
  return get_op("Analyst feedback, newest first (keyset pages: pass `next` as `cursor`)", params,
                schema);
}

}  // namespace

nlohmann::json feedback_paths() {
  json p;
  p["/api/v1/flows/{id}/feedback"]["post"] =
      write_op("Label a stored flow's verdict", json::array({path_id("A flow's `id`", false)}),
               feedback_body(), feedback_schema(), "No stored flow with this id");
  p["/api/v1/alerts/{id}/feedback"]["post"] =
      write_op("Label an alert", json::array({path_id("An alert's `id`", false)}), feedback_body(),
               feedback_schema(), "No stored alert with this id");
  p["/api/v1/feedback"]["get"] = list_feedback_op();
  p["/api/v1/feedback/{id}"]["delete"] = delete_op("Delete one feedback entry");
  p["/api/v1/suppressions"]["get"] = get_op(
      "Suppression rules in force, newest first",
      json::array({query_param(
          "limit", {{"type", "integer"}, {"minimum", 1}, {"maximum", 1000}, {"default", 100}},
          "Most rules returned")}),
      {{"type", "object"},
       {"required", {"suppressions"}},
       {"properties", {{"suppressions", {{"type", "array"}, {"items", rule_schema()}}}}}});
  p["/api/v1/suppressions"]["post"] =
      write_op("Add a rule: alerts it matches are dropped until it expires", json::array(),
               rule_body(), rule_schema(), "");
  p["/api/v1/suppressions/{id}"]["delete"] = delete_op("Delete a suppression rule");
  return p;
}

}  // namespace flowsentry::api
