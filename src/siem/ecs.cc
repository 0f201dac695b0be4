#include "siem/ecs.h"

#include <cmath>

#include "siem/fields.h"

namespace flowsentry::siem {
namespace {

using nlohmann::json;

json observer() {
  return {
      {"product", kProduct}, {"vendor", kProduct}, {"type", "ids"}, {"version", product_version()}};
}

void add_endpoint(json& doc, const char* side, const std::optional<std::string>& ip,
                  const std::optional<int64_t>& port, double bytes, double packets) {
  json& e = doc[side];
  if (ip) e["ip"] = *ip;
  if (port) e["port"] = *port;
  e["bytes"] = whole_number(bytes);
  e["packets"] = whole_number(packets);
}

json related_ips(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  json ips = json::array();
  for (const auto* list : {&a, &b}) {
    for (const auto& ip : *list) {
      if (std::find(ips.begin(), ips.end(), ip) == ips.end()) ips.push_back(ip);
    }
  }
  return ips;
}

json verdict_custom(const model::ScoredFlow& f) {
  const auto& v = f.verdict;
  json c = {{"score", v.score},
            {"threshold", v.threshold},
            {"label", v.label},
            {"model_version", v.model_version},
            {"state", f.flow.state}};
  if (has_value(v.attack_cat)) {
    c["attack_cat"] = v.attack_cat;
    c["attack_cat_prob"] = v.attack_cat_prob;
  }
  if (f.flow.id) c["flow_id"] = *f.flow.id;
  if (!f.flow.key.source.empty()) {
    c["record_key"] = f.flow.key.source + "/" + std::to_string(f.flow.key.partition) + "/" +
                      std::to_string(f.flow.key.offset);
  }
  if (!v.top_features.empty()) {
    auto& tf = c["top_features"] = json::array();
    for (const auto& t : v.top_features) {
      tf.push_back({{"feature", t.feature}, {"value", t.value}, {"contribution", t.contribution}});
    }
  }
  return c;
}

}  // namespace

json ecs_verdict(const model::ScoredFlow& f, double now) {
  const auto& r = f.flow;
  const auto& v = f.verdict;
  const double start = r.stime.value_or(now);
  json doc;
  doc["@timestamp"] = iso8601_ms(start);
  doc["ecs"] = {{"version", kEcsVersion}};
  json& event = doc["event"];
  event = {{"kind", v.label ? "alert" : "event"},
           {"category", {"network"}},
           {"type", {"connection"}},
           {"dataset", "flowsentry.verdict"},
           {"provider", kProduct},
           {"severity", verdict_severity(v)},
           {"risk_score", verdict_risk(v)},
           {"risk_score_norm", verdict_risk(v)},
           {"start", iso8601_ms(start)}};
  if (r.ltime) event["end"] = iso8601_ms(*r.ltime);
  const double dur = r[flow::kDur];
  event["duration"] = whole_number(dur * 1e9);
  add_endpoint(doc, "source", r.srcip, r.sport, r[flow::kSbytes], r[flow::kSpkts]);
  add_endpoint(doc, "destination", r.dstip, r.dsport, r[flow::kDbytes], r[flow::kDpkts]);
  json& net = doc["network"];
  net["transport"] = r.proto;
  if (has_value(r.service)) net["protocol"] = r.service;
  net["bytes"] = whole_number(r[flow::kSbytes] + r[flow::kDbytes]);
  net["packets"] = whole_number(r[flow::kSpkts] + r[flow::kDpkts]);
  std::vector<std::string> src, dst;
  if (r.srcip) src.push_back(*r.srcip);
  if (r.dstip) dst.push_back(*r.dstip);
  if (!src.empty() || !dst.empty()) doc["related"] = {{"ip", related_ips(src, dst)}};
  if (v.label) {
    doc["rule"] = {{"name", "anomaly_score"}, {"ruleset", kProduct}, {"category", "anomaly"}};
    if (has_value(v.attack_cat)) {
      doc["threat"] = {{"framework", "UNSW-NB15"}, {"tactic", {{"name", {v.attack_cat}}}}};
    }
  }
  doc["message"] = r.proto + "/" + r.service + "/" + r.state + " score " + std::to_string(v.score);
  doc["observer"] = observer();
  doc["flowsentry"] = verdict_custom(f);
  return doc;
}

json ecs_alert(const detect::Alert& alert) {
  const json a = alert.to_json();
  const std::string kind = alert_kind(a);
  const AlertHosts hosts = alert_hosts(a);
  json doc;
  doc["@timestamp"] = iso8601_ms(alert.time);
  doc["ecs"] = {{"version", kEcsVersion}};
  doc["event"] = {{"kind", "alert"},
                  {"category", {"network", "intrusion_detection"}},
                  {"type", {"info"}},
                  {"dataset", "flowsentry.alert"},
                  {"provider", kProduct},
                  {"code", kind},
                  {"severity", alert_risk(alert.severity)},
                  {"risk_score", alert_risk(alert.severity)},
                  {"reason", alert.summary}};
  if (!hosts.src.empty()) doc["source"]["ip"] = hosts.src.front();
  if (hosts.sport) doc["source"]["port"] = *hosts.sport;
  if (!hosts.dst.empty()) doc["destination"]["ip"] = hosts.dst.front();
  if (hosts.dport) doc["destination"]["port"] = *hosts.dport;
  if (!hosts.src.empty() || !hosts.dst.empty()) {
    doc["related"] = {{"ip", related_ips(hosts.src, hosts.dst)}};
  }
  doc["rule"] = {{"name", kind}, {"category", alert.type}, {"ruleset", kProduct}};
  if (a.contains("attack_cat") && a["attack_cat"].is_string()) {
    doc["threat"] = {{"framework", "UNSW-NB15"}, {"tactic", {{"name", {a["attack_cat"]}}}}};
  }
  doc["message"] = alert.summary;
  doc["observer"] = observer();
  doc["flowsentry"] = {{"alert", a}};
  return doc;
}

}  // namespace flowsentry::siem
