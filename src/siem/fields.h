// What the SIEM formats share: the facts of a verdict or an alert, read once (hosts, ports,
// severity on the 0-100 scale SIEMs rank by, the alert's kind), so ECS, OCSF and CEF agree.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/alert.h"
#include "model/verdict.h"

namespace flowsentry::siem {

inline constexpr const char* kProduct = "flowsentry";

// The flowsentry version stamped on every record (the CMake project version).
const char* product_version();

// "2026-11-26T06:53:54.250Z": UTC with milliseconds, as ECS and syslog want it.
std::string iso8601_ms(double epoch_seconds);

// Hosts an alert names: payload.hosts.src/dst (a string or a list), else its example flows.
struct AlertHosts {
  std::vector<std::string> src;
  std::vector<std::string> dst;
  std::optional<int64_t> sport;
  std::optional<int64_t> dport;
};
AlertHosts alert_hosts(const nlohmann::json& alert_json);

// The alert's kind ("port_scan", "burst", ...): `kind` of to_json() when present, else `type`.
std::string alert_kind(const nlohmann::json& alert_json);

// 0-100, Elastic's bands: info 21 (low), warning 47 (medium), critical 99 (critical).
int alert_risk(detect::Severity s);
// A verdict's risk: its score scaled to 0-100.
double verdict_risk(const model::Verdict& v);
// Severity band of a verdict: normal 21, anomaly 47, anomaly scoring >= 0.9 73.
int verdict_severity(const model::Verdict& v);

// A count or duration as a JSON integer: non-finite and negative values are 0, and values
// past int64 are capped, so an unvalidated flow cannot make the conversion undefined.
int64_t whole_number(double v);

// "-" and empty mean none in UNSW-NB15 categoricals.
inline bool has_value(const std::string& s) {
  return !s.empty() && s != "-";
}

}  // namespace flowsentry::siem
