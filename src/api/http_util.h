// Helpers shared by the handlers: JSON and error responses, query-parameter parsing.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/http.h"
#include "store/store.h"

namespace flowsentry::api {

struct Problem {
  std::string field;  // JSON pointer for bodies, parameter name for query strings
  std::string problem;
};

void send_json(Response& res, const nlohmann::json& body, int status = 200);
void send_error(Response& res, int status, const std::string& error,
                const std::vector<Problem>& details = {});

// Parses window/from/to and the proto/service/state filters. `now` is the end of a relative
// window. Adds a Problem per bad parameter.
store::Query parse_query(const Request& req, double now, std::vector<Problem>& problems);

// An integer parameter within [min, max], `fallback` when absent.
int int_param(const Request& req, const std::string& name, int fallback, int min, int max,
              std::vector<Problem>& problems);

// "5m", "1h", "24h", "90s", "3600" -> seconds; nullopt when unparseable or not positive.
std::optional<double> parse_duration(std::string_view text);

// True when the client asked for CSV (format=csv or an Accept header preferring text/csv).
bool wants_csv(const Request& req);

nlohmann::json flow_json(const store::StoredFlow& f);

// A stored alert as the API answers it: its payload parsed, its kind, delivery and state.
nlohmann::json alert_json(const store::StoredAlert& a);
std::string flows_csv(const std::vector<store::StoredFlow>& flows);

// An address or CIDR parameter (store::parse_address_range); a problem naming it when it does
// not parse or is given twice.
std::optional<store::AddressRange> range_param(const Request& req, const char* name,
                                               std::vector<Problem>& problems);

}  // namespace flowsentry::api
