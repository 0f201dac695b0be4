// What the behaviour detectors share: the options, how a flow counts as a failed attempt, a
// compact example flow for the evidence, and how a behaviour alert is laid out.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detect/alert.h"
#include "flow/flow_record.h"

namespace flowsentry::detect {

// Which detector tables a process runs. kAll: every one (one process sees all traffic).
// kSourceKeyed: a worker whose flows arrive keyed by source while an alerter runs the rest.
// kTargetKeyed: that alerter, fed flow summaries keyed by target (flood per target, ARP reply
// storm per MAC); see src/pipeline/README.md.
enum class BehaviourScope : uint8_t { kAll, kSourceKeyed, kTargetKeyed };

// Defaults are chosen to fire on nmap, hping3, hydra, arpspoof and curl loops and to stay
// quiet on browsing, DNS, ssh sessions and FTP transfers; docs/detectors.md says why.
struct BehaviourOptions {
  bool enabled = true;
  BehaviourScope scope = BehaviourScope::kAll;
  size_t max_hosts = 100000;  // states kept per detector table (oldest evicted)
  size_t max_examples = 5;    // example flows per alert
  // Port scans and sweeps (one source).
  double scan_window_s = 300;
  uint64_t scan_ports = 15;           // vertical: distinct failed ports on one target
  uint64_t scan_hosts = 20;           // horizontal: distinct targets failed on one port
  uint64_t scan_half_open_ports = 4;  // SYN / SYN-ACK / RST on distinct ports of one target
  double sweep_window_s = 60;
  uint64_t sweep_hosts = 16;  // ICMP echo / ARP requests to distinct targets
  // Password guessing (one source, one target, one service).
  double password_window_s = 120;
  uint64_t password_attempts = 10;
  uint64_t password_http_attempts = 200;
  double password_max_duration_s = 30;  // longer connections are sessions, not attempts
  // Floods (per source and per target).
  double flood_window_s = 10;
  uint64_t flood_packets = 1000;  // SYN, UDP or ICMP packets of one kind in the window
  uint64_t flood_dhcp_packets = 200;
  // ARP.
  double arp_window_s = 60;
  uint64_t arp_unsolicited = 4;  // unsolicited replies / gratuitous ARPs from one MAC
  // Beaconing (one source, one destination and port).
  uint64_t beacon_min_connections = 20;
  double beacon_min_score = 0.8;
  double beacon_idle_s = 7200;
  std::string beacon_ignore_ports = "53,123,5353";  // resolvers and clocks poll regularly
};

// A flow that looks like a rejected or unanswered attempt: TCP never established (REQ, INT) or
// reset before any exchange, UDP without a reply, anything one-way.
bool failed_attempt(const flow::FlowRecord& f);

// A SYN answered by SYN-ACK and torn down by the prober's RST without an exchange: the
// signature of a half-open (nmap -sS) probe of an open port, which clients never make.
bool half_open_probe(const flow::FlowRecord& f);

// A flow with everything the detectors key on: srcip, dstip and a start time.
bool has_identity(const flow::FlowRecord& f);

// Compact copy of a flow for an alert's evidence (a few per state; no strings beyond these).
struct ExampleFlow {
  double stime = 0;
  double ltime = 0;
  std::string src, dst, proto, state, service;
  int64_t sport = 0, dport = 0;
  double spkts = 0, dpkts = 0, sbytes = 0, dbytes = 0;
  nlohmann::json to_json() const;
};

class Examples {
 public:
  void add(const flow::FlowRecord& f, size_t max);
  nlohmann::json to_json() const;
  void clear() { flows_.clear(); }

 private:
  std::vector<ExampleFlow> flows_;
};

// First/last event time and counts by state, the evidence every behaviour alert carries.
struct Tally {
  double first = 0, last = 0;
  uint64_t flows = 0, packets = 0;
  // Counts of the first kStates state names, inline: a map would cost a node per host.
  static constexpr size_t kStates = 4;
  std::array<std::array<char, 8>, kStates> state_names{};
  std::array<uint32_t, kStates> state_counts{};
  void add(const flow::FlowRecord& f, double t);
  nlohmann::json states() const;
  void clear() { *this = Tally{}; }
};

// {"kind", "type": "behaviour", context, summary, payload: {first_time, last_time, hosts,
// evidence}}.
Alert behaviour_alert(const std::string& kind, const std::string& context, Severity severity,
                      std::string summary, const Tally& tally, nlohmann::json hosts,
                      nlohmann::json evidence, const Examples& examples);

// Up to `max` values of a set, as a JSON array (evidence lists stay short).
template <typename T>
nlohmann::json first_of(const std::set<T>& values, size_t max = 20) {
  auto out = nlohmann::json::array();
  for (const auto& v : values) {
    if (out.size() == max) break;
    out.push_back(v);
  }
  return out;
}

}  // namespace flowsentry::detect
