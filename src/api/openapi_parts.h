// Building blocks of the OpenAPI document (openapi.cc), shared with the files that describe
// a route group of their own (openapi_hosts.cc).
#pragma once

#include <initializer_list>
#include <string>

#include <nlohmann/json.hpp>

namespace flowsentry::api {
namespace oas {

using json = nlohmann::json;

json ref(const std::string& name);
json json_content(const json& schema);
json error_response(const std::string& description);
json ok_response(const json& schema, const std::string& description = "OK");
json query_param(const std::string& name, const json& schema, const std::string& description);
// window/from/to and the category filters, shared by the dashboard queries.
json window_params();
json limit_param(int fallback);
// `params` with `extra` appended.
json with(json params, std::initializer_list<json> extra);
json get_op(const std::string& summary, const json& params, const json& ok_schema,
            bool store = true);
json number_props(std::initializer_list<const char*> names);

}  // namespace oas

// The /api/v1/flows and /api/v1/hosts/* paths.
nlohmann::json host_paths();
// Feedback and suppression rules (openapi_feedback.cc).
nlohmann::json feedback_paths();

}  // namespace flowsentry::api
