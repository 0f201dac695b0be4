// Port scans and sweeps, keyed by source address (event-time windows per source):
// - vertical port_scan: failed attempts on >= scan_ports distinct ports of one target;
// - horizontal port_scan: failed attempts on one port of >= scan_hosts distinct targets;
// - icmp_sweep: ICMP echo (or other query) requests or ARP requests to >= sweep_hosts targets.
// ICMP port-unreachable answers count as failure evidence for the source they answer.
#pragma once

#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "detect/behaviour_evidence.h"
#include "detect/host_table.h"

namespace flowsentry::detect {

// Per source, within one scan window.
struct ScanState {
  double start = 0;
  Tally tally;
  uint64_t elements = 0;     // set members below, bounded
  uint64_t unreachable = 0;  // ICMP port unreachable answers received
  std::unordered_map<std::string, std::set<int64_t>> ports_by_target;
  std::unordered_map<int64_t, std::set<std::string>> targets_by_port;
  std::unordered_map<std::string, std::set<int64_t>> half_open_by_target;
  bool vertical_alerted = false, horizontal_alerted = false;
  Examples examples;
};

struct SweepState {
  double start = 0;
  Tally tally;
  std::set<std::string> targets;
  std::set<std::string> protos;
  uint64_t answered = 0;
  bool alerted = false;
  Examples examples;
};

class ScanDetector {
 public:
  explicit ScanDetector(const BehaviourOptions& options);
  void observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  size_t entries() const { return scans_.size() + sweeps_.size(); }
  size_t approx_bytes() const;

 private:
  void observe_port(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  void observe_sweep(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  void observe_unreachable(const flow::FlowRecord& f, double t);

  const BehaviourOptions& opt_;
  HostTable<ScanState> scans_;
  HostTable<SweepState> sweeps_;
};

}  // namespace flowsentry::detect
