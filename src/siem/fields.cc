#include "siem/fields.h"

#include <algorithm>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

namespace flowsentry::siem {

#ifndef FLOWSENTRY_VERSION
#define FLOWSENTRY_VERSION "0.0.0"
#endif

const char* product_version() {
  return FLOWSENTRY_VERSION;
}

std::string iso8601_ms(double epoch_seconds) {
  if (!std::isfinite(epoch_seconds) || epoch_seconds < 0) epoch_seconds = 0;
  epoch_seconds = std::min(epoch_seconds, 253402300799.0);  // 9999-12-31T23:59:59Z
  const double whole = std::floor(epoch_seconds);
  auto ms = static_cast<int>(std::lround((epoch_seconds - whole) * 1000));
  auto t = static_cast<std::time_t>(whole);
  if (ms == 1000) {
    ms = 0;
    ++t;
  }
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

namespace {

constexpr size_t kMaxHosts = 20;  // a scan's target list can be long; SIEM records stay short

void add_hosts(const nlohmann::json& v, std::vector<std::string>& out) {
  if (v.is_string()) {
    // Empty: an example flow without identity (a UNSW-NB15 row).
    if (out.size() < kMaxHosts && !v.get<std::string>().empty())
      out.push_back(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& e : v) add_hosts(e, out);
  }
}

const nlohmann::json* find_examples(const nlohmann::json& j) {
  if (j.contains("examples") && j["examples"].is_array()) return &j["examples"];
  if (j.contains("evidence") && j["evidence"].is_object()) return find_examples(j["evidence"]);
  return nullptr;
}

std::optional<int64_t> port_of(const nlohmann::json& e, const char* a, const char* b) {
  for (const char* k : {a, b}) {
    if (e.contains(k) && e[k].is_number_integer()) return e[k].get<int64_t>();
  }
  return std::nullopt;
}

}  // namespace

AlertHosts alert_hosts(const nlohmann::json& j) {
  AlertHosts h;
  if (!j.is_object()) return h;
  if (j.contains("hosts") && j["hosts"].is_object()) {
    const auto& hosts = j["hosts"];
    if (hosts.contains("src")) add_hosts(hosts["src"], h.src);
    if (hosts.contains("dst")) add_hosts(hosts["dst"], h.dst);
  }
  const auto* examples = find_examples(j);
  if (!examples) return h;
  for (const auto& e : *examples) {
    if (!e.is_object()) continue;
    if (h.src.empty())
      add_hosts(e.contains("src") ? e["src"] : e.value("srcip", nlohmann::json()), h.src);
    if (h.dst.empty())
      add_hosts(e.contains("dst") ? e["dst"] : e.value("dstip", nlohmann::json()), h.dst);
    if (!h.sport) h.sport = port_of(e, "sport", "src_port");
    if (!h.dport) h.dport = port_of(e, "dport", "dsport");
  }
  return h;
}

std::string alert_kind(const nlohmann::json& j) {
  if (j.contains("kind") && j["kind"].is_string() && !j["kind"].get<std::string>().empty()) {
    return j["kind"].get<std::string>();
  }
  return j.value("type", std::string("alert"));
}

int64_t whole_number(double v) {
  if (!std::isfinite(v) || v <= 0) return 0;
  return v >= 9e18 ? static_cast<int64_t>(9e18) : static_cast<int64_t>(v);
}

int alert_risk(detect::Severity s) {
  switch (s) {
    case detect::Severity::kInfo:
      return 21;
    case detect::Severity::kWarning:
      return 47;
    case detect::Severity::kCritical:
      return 99;
  }
  return 47;
}

double verdict_risk(const model::Verdict& v) {
  const double s = std::isfinite(v.score) ? std::clamp(v.score, 0.0, 1.0) : 0.0;
  return std::round(s * 10000) / 100;  // two decimals
}

int verdict_severity(const model::Verdict& v) {
  if (!v.label) return 21;
  return v.score >= 0.9 ? 73 : 47;
}

}  // namespace flowsentry::siem
