// Alert: what the detectors raise and the notifiers deliver. Every alert has a type, a
// de-duplication key (type + context) and a JSON payload with the type's fields.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "model/verdict.h"

namespace flowsentry::detect {

// Seconds since the epoch. Injected so tests pin time; production uses wall_seconds()
// (common/clock.h), the one wall clock.
using Clock = std::function<double()>;

// "2026-11-26T06:53:54Z" (UTC, whole seconds).
std::string iso8601(double epoch_seconds);

// A flow's event time: its stime when it has one, else the clock. Never later than the clock:
// a flow stamped in the future (a skewed or hostile producer) would otherwise hold windows and
// burst episodes open until that time.
inline double event_time(const model::ScoredFlow& f, const Clock& clock) {
  const double now = clock();
  return f.flow.stime && *f.flow.stime < now ? *f.flow.stime : now;
}

// "tcp/http/FIN": the context a flow's alerts are de-duplicated by.
std::string flow_context(const flow::FlowRecord& f);

enum class Severity { kInfo, kWarning, kCritical };
const char* severity_name(Severity s);

// What an alert is about, for people and SIEMs: "port_scan", "icmp_sweep", "password_guessing",
// "flood", "arp_spoofing", "beaconing" (behaviour detectors), and for the other detectors their
// type: "burst", "score_drift", "mix_drift", "new_category", "anomaly", "test".
// An alert without a kind is of the kind named by its type.
inline const std::string& kind_of(const std::string& kind, const std::string& type) {
  return kind.empty() ? type : kind;
}

struct Alert {
  std::string type;     // "burst", "anomaly", "score_drift", "mix_drift", "new_category", "test",
                        // "behaviour"
  std::string kind;     // empty = same as type; see kind_of
  std::string context;  // what it is about, e.g. "tcp/http/FIN", "proto:reference", "10.0.0.1"
  Severity severity = Severity::kWarning;
  std::string summary;                                // one readable line
  double time = 0;                                    // event time it was raised at
  nlohmann::json payload = nlohmann::json::object();  // type-specific fields

  const std::string& kind_or_type() const { return kind_of(kind, type); }

  // De-duplication key: same key = same alert for cooldown purposes. Behaviour alerts share a
  // type, so their kind is part of it ("behaviour:port_scan:10.0.0.1").
  std::string key() const {
    return kind.empty() || kind == type ? type + ":" + context : type + ":" + kind + ":" + context;
  }

  // {type, kind, key, severity, summary, time, time_iso, ...payload}
  nlohmann::json to_json() const;
};

// The hosts an alert names, in its payload's "hosts" object ({"src": ip, "dst": ip}, values
// may be lists): the source first, no duplicates.
std::vector<std::string> alert_hosts(const Alert& alert);

// A few flows worth showing with an alert: id, addresses and ports when known, context, score
// and top features.
nlohmann::json flow_example(const model::ScoredFlow& f);

}  // namespace flowsentry::detect
