#include "api/http_util.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "flow/csv.h"

namespace flowsentry::api {

void send_json(Response& res, const nlohmann::json& body, int status) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void send_error(Response& res, int status, const std::string& error,
                const std::vector<Problem>& details) {
  nlohmann::json body{{"error", error}};
  auto arr = nlohmann::json::array();
  for (const auto& d : details) arr.push_back({{"field", d.field}, {"problem", d.problem}});
  body["details"] = std::move(arr);
  send_json(res, body, status);
}

std::optional<double> parse_duration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  double unit = 1;
  switch (text.back()) {
    case 's':
      unit = 1;
      text.remove_suffix(1);
      break;
    case 'm':
      unit = 60;
      text.remove_suffix(1);
      break;
    case 'h':
      unit = 3600;
      text.remove_suffix(1);
      break;
    case 'd':
      unit = 86400;
      text.remove_suffix(1);
      break;
    default:
      break;
  }
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v <= 0) {
    return std::nullopt;
  }
  return v * unit;
}

namespace {

constexpr double kMaxWindowSeconds = 400 * 86400.0;

std::optional<double> time_param(const Request& req, const char* name,
                                 std::vector<Problem>& problems) {
  if (!req.has_param(name)) return std::nullopt;
  auto text = req.get_param_value(name);
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < 0) {
    problems.push_back({name, fmt::format("'{}' is not a time in epoch seconds", text)});
    return std::nullopt;
  }
  return v;
}

std::string filter_param(const Request& req, const char* name, std::vector<Problem>& problems) {
  if (!req.has_param(name)) return "";
  auto v = req.get_param_value(name);
  if (v.size() > 200) problems.push_back({name, "is longer than 200 characters"});
  if (store::filter_values(v).size() > 20) problems.push_back({name, "lists more than 20 values"});
  return v;
}

}  // namespace

store::Query parse_query(const Request& req, double now, std::vector<Problem>& problems) {
  store::Query q;
  double window = 15 * 60;
  if (req.has_param("window")) {
    auto w = parse_duration(req.get_param_value("window"));
    if (!w || *w > kMaxWindowSeconds) {
      problems.push_back({"window", "expected a duration such as 5m, 1h or 24h (at most 400d)"});
    } else {
      window = *w;
    }
  }
  auto from = time_param(req, "from", problems);
  auto to = time_param(req, "to", problems);
  q.to = to.value_or(from ? now : now + 1);
  q.from = from.value_or(q.to - window);
  if (q.from >= q.to) {
    problems.push_back({"from", "must be before 'to'"});
  } else if (q.to - q.from > kMaxWindowSeconds) {
    // Bounded like `window`: a query over decades scans every row the store holds.
    problems.push_back({"from", "is more than 400d before 'to' (the longest window)"});
  }
  q.proto = filter_param(req, "proto", problems);
  q.service = filter_param(req, "service", problems);
  q.state = filter_param(req, "state", problems);
  return q;
}

int int_param(const Request& req, const std::string& name, int fallback, int min, int max,
              std::vector<Problem>& problems) {
  if (!req.has_param(name.c_str())) return fallback;
  auto text = req.get_param_value(name.c_str());
  int v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < min || v > max) {
    problems.push_back({name, fmt::format("expected an integer from {} to {}", min, max)});
    return fallback;
  }
  return v;
}

bool wants_csv(const Request& req) {
  if (req.has_param("format")) return req.get_param_value("format") == "csv";  // validated before
  auto accept = req.get_header_value("Accept");
  return accept.find("text/csv") != std::string::npos &&
         accept.find("application/json") == std::string::npos;
}

nlohmann::json flow_json(const store::StoredFlow& f) {
  nlohmann::json j = {{"id", store::encode_flow_id(f.stime, f.key)},
                      {"source", f.key.source},
                      {"partition", f.key.partition},
                      {"offset", f.key.offset},
                      {"stime", f.stime},
                      {"score", f.score},
                      {"label", f.label},
                      {"attack_cat", f.attack_cat},
                      {"proto", f.proto},
                      {"service", f.service},
                      {"state", f.state},
                      {"model_version", f.model_version},
                      {"sload", f.sload},
                      {"dload", f.dload},
                      {"spkts", f.spkts},
                      {"dpkts", f.dpkts},
                      {"sjit", f.sjit},
                      {"djit", f.djit},
                      {"sttl", f.sttl},
                      {"dttl", f.dttl},
                      {"dur", f.dur},
                      {"tcprtt", f.tcprtt},
                      {"synack", f.synack},
                      {"ackdat", f.ackdat},
                      {"ct_state_ttl", f.ct_state_ttl},
                      {"sbytes", f.sbytes},
                      {"dbytes", f.dbytes}};
  // Identity only when the flow has it (metered flows); the UNSW CSVs have none.
  if (f.srcip) j["srcip"] = *f.srcip;
  if (f.sport) j["sport"] = *f.sport;
  if (f.dstip) j["dstip"] = *f.dstip;
  if (f.dsport) j["dsport"] = *f.dsport;
  if (f.ltime) j["ltime"] = *f.ltime;
  auto e = nlohmann::json::parse(f.explanation_json, nullptr, false);
  if (e.is_object()) {
    if (e.contains("attack_cat_prob")) j["attack_cat_prob"] = e["attack_cat_prob"];
    if (e.contains("top_features") && !e["top_features"].empty()) {
      j["top_features"] = e["top_features"];
    }
  }
  return j;
}

namespace {

// A spreadsheet runs a cell starting with = + - @ (or a tab/CR before one) as a formula
// (`=cmd|' /C calc'!A0`): such text gets a leading apostrophe (OWASP's advice). A lone "-",
// the data set's "none", is left as it is.
bool looks_like_formula(const std::string& s) {
  if (s.empty() || s == "-") return false;
  return s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r';
}

std::string csv_field(const std::string& text) {
  std::string out;
  flow::append_csv_field(out, looks_like_formula(text) ? "'" + text : text);
  return out;
}

}  // namespace

namespace {
template <class T>
std::string optional_cell(const std::optional<T>& v) {
  return v ? fmt::format("{}", *v) : std::string();
}
}  // namespace

// Identity columns are empty for flows without them.
std::string flows_csv(const std::vector<store::StoredFlow>& flows) {
  std::string out =
      "source,partition,offset,stime,score,label,attack_cat,proto,service,state,model_version,"
      "sload,dload,spkts,dpkts,sjit,djit,sttl,dttl,dur,tcprtt,synack,ackdat,ct_state_ttl,"
      "ltime,srcip,sport,dstip,dsport\r\n";
  for (const auto& f : flows) {
    fmt::format_to(std::back_inserter(out),
                   "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},"
                   "{},{},{},{},{}\r\n",
                   csv_field(f.key.source), f.key.partition, f.key.offset, f.stime, f.score,
                   f.label, csv_field(f.attack_cat), csv_field(f.proto), csv_field(f.service),
                   csv_field(f.state), csv_field(f.model_version), f.sload, f.dload, f.spkts,
                   f.dpkts, f.sjit, f.djit, f.sttl, f.dttl, f.dur, f.tcprtt, f.synack, f.ackdat,
                   f.ct_state_ttl, optional_cell(f.ltime), optional_cell(f.srcip),
                   optional_cell(f.sport), optional_cell(f.dstip), optional_cell(f.dsport));
  }
  return out;
}

nlohmann::json alert_json(const store::StoredAlert& a) {
  auto payload = nlohmann::json::parse(a.payload_json, nullptr, false);
  // Alerts stored before kinds existed are of the kind named by their type.
  std::string kind = a.type;
  if (payload.is_object() && payload.contains("kind") && payload["kind"].is_string()) {
    kind = payload["kind"].get<std::string>();
  }
  return {{"id", a.id},
          {"type", a.type},
          {"kind", kind},
          {"key", a.key},
          {"created", a.created},
          {"payload", payload.is_discarded() ? nlohmann::json(a.payload_json) : payload},
          {"delivery_status", a.delivery_status},
          {"acknowledged", a.acknowledged},
          {"snoozed_until",
           a.snoozed_until ? nlohmann::json(*a.snoozed_until) : nlohmann::json(nullptr)}};
}

std::optional<store::AddressRange> range_param(const Request& req, const char* name,
                                               std::vector<Problem>& problems) {
  if (!req.has_param(name)) return std::nullopt;
  if (req.get_param_value_count(name) != 1) {
    problems.push_back({name, "given more than once"});
    return std::nullopt;
  }
  auto r = store::parse_address_range(req.get_param_value(name));
  if (!r.ok()) {
    problems.push_back({name, r.error().message});
    return std::nullopt;
  }
  return *r;
}

}  // namespace flowsentry::api
