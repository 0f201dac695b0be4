#include "siem/ocsf.h"

#include <cmath>

#include "siem/fields.h"

namespace flowsentry::siem {
namespace {

using nlohmann::json;

constexpr int kClassUid = 2004;  // Detection Finding
constexpr int kCategoryUid = 2;  // Findings
constexpr int kActivityCreate = 1;
constexpr int kStatusNew = 1;
constexpr int kObservableIp = 2;  // type_id "IP Address"

struct OcsfSeverity {
  int id;
  const char* name;
};

OcsfSeverity ocsf_severity(detect::Severity s) {
  switch (s) {
    case detect::Severity::kInfo:
      return {1, "Informational"};
    case detect::Severity::kWarning:
      return {3, "Medium"};
    case detect::Severity::kCritical:
      return {5, "Critical"};
  }
  return {0, "Unknown"};
}

int64_t epoch_ms(double t) {
  return whole_number(std::round(t * 1000));
}

json endpoint(const std::string& ip, const std::optional<int64_t>& port) {
  json e = {{"ip", ip}};
  if (port) e["port"] = *port;
  return e;
}

json observables(const AlertHosts& h) {
  json out = json::array();
  for (const auto& ip : h.src) {
    out.push_back({{"name", "src_endpoint.ip"}, {"type_id", kObservableIp}, {"value", ip}});
  }
  for (const auto& ip : h.dst) {
    out.push_back({{"name", "dst_endpoint.ip"}, {"type_id", kObservableIp}, {"value", ip}});
  }
  return out;
}

json evidence(const AlertHosts& h, const json& alert_json) {
  json e = {{"data", alert_json}};
  if (!h.src.empty()) e["src_endpoint"] = endpoint(h.src.front(), h.sport);
  if (!h.dst.empty()) e["dst_endpoint"] = endpoint(h.dst.front(), h.dport);
  return e;
}

}  // namespace

json ocsf_finding(const detect::Alert& alert) {
  const json a = alert.to_json();
  const std::string kind = alert_kind(a);
  const AlertHosts hosts = alert_hosts(a);
  const auto sev = ocsf_severity(alert.severity);
  const int64_t ms = epoch_ms(alert.time);
  json f;
  f["class_uid"] = kClassUid;
  f["class_name"] = "Detection Finding";
  f["category_uid"] = kCategoryUid;
  f["category_name"] = "Findings";
  f["activity_id"] = kActivityCreate;
  f["activity_name"] = "Create";
  f["type_uid"] = kClassUid * 100 + kActivityCreate;
  f["type_name"] = "Detection Finding: Create";
  f["severity_id"] = sev.id;
  f["severity"] = sev.name;
  f["status_id"] = kStatusNew;
  f["status"] = "New";
  f["time"] = ms;
  f["message"] = alert.summary;
  f["risk_score"] = alert_risk(alert.severity);
  f["finding_info"] = {{"uid", alert.key() + "@" + std::to_string(ms)},
                       {"title", kind + ": " + alert.summary},
                       {"types", {kind}},
                       {"desc", alert.summary},
                       {"created_time", ms}};
  f["metadata"] = {
      {"version", kOcsfVersion},
      {"product", {{"name", kProduct}, {"vendor_name", kProduct}, {"version", product_version()}}}};
  json obs = observables(hosts);
  if (!obs.empty()) f["observables"] = std::move(obs);
  f["evidences"] = json::array({evidence(hosts, a)});
  return f;
}

}  // namespace flowsentry::siem
