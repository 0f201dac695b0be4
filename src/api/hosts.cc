// GET /api/v1/flows, /api/v1/flows/{id}, /api/v1/hosts/top, /api/v1/hosts/{ip}: who talked to
// whom. Addresses and CIDRs are parsed here (400 naming the parameter); the store does the rest.
#include <fmt/format.h>

#include "api/http_util.h"
#include "api/routes.h"

namespace flowsentry::api {
namespace {

using Req = Request;
using Res = Response;

template <class T>
bool ok_or_503(const Result<T>& r, Res& res) {
  if (r.ok()) return true;
  send_error(res, 503, "store query failed: " + r.error().message);
  return false;
}

std::optional<bool> bool_param(const Req& req, const char* name, std::vector<Problem>& problems) {
  if (!req.has_param(name)) return std::nullopt;
  auto v = req.get_param_value(name);
  if (v == "true") return true;
  if (v == "false") return false;
  problems.push_back({name, "expected true or false"});
  return std::nullopt;
}

// One of `names` (the parameter's value), `fallback` when absent.
std::string choice_param(const Req& req, const char* name, std::vector<std::string> names,
                         std::vector<Problem>& problems) {
  if (!req.has_param(name)) return names.front();
  auto v = req.get_param_value(name);
  if (std::find(names.begin(), names.end(), v) != names.end()) return v;
  problems.push_back({name, fmt::format("expected one of {}", fmt::join(names, ", "))});
  return names.front();
}

// The list's flows carry every identity field (null when the flow has none) and is_anomaly.
nlohmann::json listed_flow_json(const store::StoredFlow& f) {
  auto j = flow_json(f);
  for (const char* k : {"srcip", "sport", "dstip", "dsport", "ltime"}) {
    if (!j.contains(k)) j[k] = nullptr;
  }
  j["is_anomaly"] = f.label == 1;
  return j;
}

nlohmann::json host_stat_json(const store::HostStat& h) {
  return {{"ip", h.ip},
          {"flows", h.flows},
          {"anomalies", h.anomalies},
          {"bytes", h.bytes},
          {"max_score", h.max_score}};
}

nlohmann::json optional_time(const std::optional<double>& t) {
  return t ? nlohmann::json(*t) : nlohmann::json(nullptr);
}

void list_flows(const ApiContext& ctx, const Req& req, Res& res) {
  std::vector<Problem> problems;
  store::FlowFilter filter;
  filter.host = range_param(req, "host", problems);
  filter.src = range_param(req, "src", problems);
  filter.dst = range_param(req, "dst", problems);
  if (req.has_param("port")) filter.port = int_param(req, "port", 0, 0, 65535, problems);
  filter.anomalies = bool_param(req, "anomalies", problems);
  int limit = int_param(req, "limit", 100, 1, 1000, problems);
  std::optional<store::FlowCursor> after;
  if (req.has_param("cursor") && !req.get_param_value("cursor").empty()) {
    after = store::decode_flow_id(req.get_param_value("cursor"));
    if (!after) problems.push_back({"cursor", "not a cursor this API returned as 'next'"});
  }
  auto q = parse_query(req, wall_seconds(), problems);
  if (!problems.empty()) return send_error(res, 400, "bad query parameter", problems);
  auto page = ctx.store->list_flows(q, filter, after, limit);
  if (!ok_or_503(page, res)) return;
  auto flows = nlohmann::json::array();
  for (const auto& f : page->flows) flows.push_back(listed_flow_json(f));
  nlohmann::json next = nullptr;
  if (page->next) next = store::encode_flow_id(page->next->stime, page->next->key);
  send_json(res, {{"flows", std::move(flows)}, {"next", std::move(next)}});
}

void get_flow(const ApiContext& ctx, const Req& req, Res& res) {
  auto id = store::decode_flow_id(req.matches[1]);
  if (!id) return send_error(res, 400, "bad flow id", {{"id", "not an id this API returned"}});
  auto f = ctx.store->find_flow(*id);
  if (!ok_or_503(f, res)) return;
  if (!*f) return send_error(res, 404, "no stored flow with id " + req.matches[1]);
  auto j = listed_flow_json(**f);
  if (!(*f)->explanation_json.empty()) {
    auto e = nlohmann::json::parse((*f)->explanation_json, nullptr, false);
    if (e.is_object()) j["explanation"] = e;
  }
  send_json(res, j);
}

void top_hosts(const ApiContext& ctx, const Req& req, Res& res) {
  std::vector<Problem> problems;
  auto by = choice_param(req, "by", {"anomalies", "flows", "bytes"}, problems);
  auto role = choice_param(req, "role", {"any", "src", "dst"}, problems);
  int limit = int_param(req, "limit", 20, 1, 1000, problems);
  auto q = parse_query(req, wall_seconds(), problems);
  if (!problems.empty()) return send_error(res, 400, "bad query parameter", problems);
  auto order = by == "flows"   ? store::HostOrder::kFlows
               : by == "bytes" ? store::HostOrder::kBytes
                               : store::HostOrder::kAnomalies;
  auto side = role == "src"   ? store::HostRole::kSrc
              : role == "dst" ? store::HostRole::kDst
                              : store::HostRole::kAny;
  auto hosts = ctx.store->top_hosts(q, order, side, limit);
  if (!ok_or_503(hosts, res)) return;
  auto arr = nlohmann::json::array();
  for (const auto& h : *hosts) arr.push_back(host_stat_json(h));
  send_json(res, {{"by", by}, {"role", role}, {"hosts", std::move(arr)}});
}

nlohmann::json detail_json(const std::string& ip, const store::HostDetail& d,
                           const std::vector<store::StoredAlert>& alerts) {
  const auto& s = d.summary;
  nlohmann::json j{{"ip", ip},
                   {"summary",
                    {{"flows", s.flows},
                     {"anomalies", s.anomalies},
                     {"bytes_out", s.bytes_out},
                     {"bytes_in", s.bytes_in},
                     {"first", optional_time(s.first)},
                     {"last", optional_time(s.last)}}},
                   {"bucket_seconds", d.bucket_seconds}};
  auto timeline = nlohmann::json::array();
  for (const auto& b : d.timeline) {
    timeline.push_back(
        {{"t", b.t}, {"flows", b.flows}, {"anomalies", b.anomalies}, {"max_score", b.max_score}});
  }
  auto peers = nlohmann::json::array();
  for (const auto& p : d.peers) peers.push_back(host_stat_json(p));
  auto ports = nlohmann::json::array();
  for (const auto& p : d.ports) {
    ports.push_back(
        {{"port", p.port}, {"proto", p.proto}, {"flows", p.flows}, {"anomalies", p.anomalies}});
  }
  auto cats = nlohmann::json::array();
  for (const auto& c : d.categories)
    cats.push_back({{"attack_cat", c.attack_cat}, {"count", c.count}});
  auto arr = nlohmann::json::array();
  for (const auto& a : alerts) arr.push_back(alert_json(a));
  j["timeline"] = std::move(timeline);
  j["peers"] = std::move(peers);
  j["ports"] = std::move(ports);
  j["categories"] = std::move(cats);
  j["alerts"] = std::move(arr);
  return j;
}

void host_detail(const ApiContext& ctx, const Req& req, Res& res) {
  std::vector<Problem> problems;
  auto ip = flow::parse_address(req.matches[1]);
  if (!ip) problems.push_back({"ip", "'" + req.matches[1].substr(0, 60) + "' is not an address"});
  int limit = int_param(req, "limit", 20, 1, 1000, problems);
  auto q = parse_query(req, wall_seconds(), problems);
  if (!problems.empty()) return send_error(res, 400, "bad query parameter", problems);
  auto d = ctx.store->host_detail(q, *ip, limit);
  if (!ok_or_503(d, res)) return;
  const auto text = flow::format_address(*ip);
  auto alerts = ctx.store->alerts_naming(q.from, q.to, text, 50);
  if (!ok_or_503(alerts, res)) return;
  send_json(res, detail_json(text, *d, *alerts));
}

}  // namespace

void add_host_routes(Router& router, const ApiContext& context) {
  const ApiContext* ctx = &context;
  auto with_store = [ctx](void (*handler)(const ApiContext&, const Req&, Res&)) {
    return [ctx, handler](const Req& req, Res& res) {
      if (!ctx->store) {
        send_error(res, 503, "this process has no store (start it with --store)");
        return;
      }
      handler(*ctx, req, res);
    };
  };
  router.add("GET", "/api/v1/flows", with_store(list_flows));
  router.add("GET", "/api/v1/flows/{id}", with_store(get_flow));
  router.add("GET", "/api/v1/hosts/top", with_store(top_hosts));
  router.add("GET", "/api/v1/hosts/{ip}", with_store(host_detail));
}

}  // namespace flowsentry::api
