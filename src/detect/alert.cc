#include "detect/alert.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>

#include <fmt/format.h>

#include "common/clock.h"

namespace flowsentry::detect {

std::string iso8601(double epoch_seconds) {
  const auto t = static_cast<std::time_t>(std::floor(epoch_seconds));
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string flow_context(const flow::FlowRecord& f) {
  return f.proto + "/" + f.service + "/" + f.state;
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::kInfo:
      return "info";
    case Severity::kWarning:
      return "warning";
    case Severity::kCritical:
      return "critical";
  }
  return "?";
}

nlohmann::json Alert::to_json() const {
  nlohmann::json j = payload.is_object() ? payload : nlohmann::json::object();
  j["type"] = type;
  j["kind"] = kind_or_type();
  j["key"] = key();
  j["context"] = context;
  j["severity"] = severity_name(severity);
  j["summary"] = summary;
  j["time"] = time;
  j["time_iso"] = iso8601(time);
  return j;
}

std::vector<std::string> alert_hosts(const Alert& a) {
  std::vector<std::string> out;
  auto add = [&](const nlohmann::json& v) {
    if (v.is_string() && std::find(out.begin(), out.end(), v.get<std::string>()) == out.end()) {
      out.push_back(v.get<std::string>());
    }
  };
  if (!a.payload.is_object() || !a.payload.contains("hosts") || !a.payload["hosts"].is_object()) {
    return out;
  }
  const auto& hosts = a.payload["hosts"];
  for (const char* side : {"src", "dst"}) {
    if (!hosts.contains(side)) continue;
    const auto& v = hosts[side];
    if (v.is_array()) {
      for (const auto& e : v) add(e);
    } else {
      add(v);
    }
  }
  return out;
}

nlohmann::json flow_example(const model::ScoredFlow& f) {
  nlohmann::json j;
  if (f.flow.id) {
    j["id"] = *f.flow.id;
  } else if (!f.flow.key.source.empty()) {
    j["id"] = fmt::format("{}/{}/{}", f.flow.key.source, f.flow.key.partition, f.flow.key.offset);
  } else {
    j["id"] = nullptr;
  }
  if (f.flow.srcip) j["srcip"] = *f.flow.srcip;
  if (f.flow.sport) j["sport"] = *f.flow.sport;
  if (f.flow.dstip) j["dstip"] = *f.flow.dstip;
  if (f.flow.dsport) j["dsport"] = *f.flow.dsport;
  j["proto"] = f.flow.proto;
  j["service"] = f.flow.service;
  j["state"] = f.flow.state;
  j["score"] = f.verdict.score;
  if (!f.verdict.attack_cat.empty()) j["attack_cat"] = f.verdict.attack_cat;
  if (!f.verdict.top_features.empty()) {
    auto& tf = j["top_features"] = nlohmann::json::array();
    for (const auto& c : f.verdict.top_features) {
      tf.push_back({{"feature", c.feature}, {"value", c.value}, {"contribution", c.contribution}});
    }
  }
  return j;
}

}  // namespace flowsentry::detect
