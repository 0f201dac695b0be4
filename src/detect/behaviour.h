// BehaviourDetectors: the host-behaviour detectors behind one call. Every flow goes in (not only
// anomalies: a scan is mostly failed connections the model calls normal); flows without srcip,
// dstip or stime (the UNSW-NB15 CSVs) are skipped. Windows run in event time (the flow's
// stime); state is bounded per detector by max_hosts and evicted by event time, counted in
// flowsentry_detector_evictions_total{detector}. Alerts have type "behaviour" and a kind:
// port_scan, icmp_sweep, password_guessing, flood, arp_spoofing, beaconing.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "common/config.h"
#include "detect/arp.h"
#include "detect/beacon.h"
#include "detect/behaviour_evidence.h"
#include "detect/flood.h"
#include "detect/password.h"
#include "detect/scan.h"
#include "model/verdict.h"

namespace flowsentry::detect {

struct BehaviourStats {
  uint64_t flows = 0;    // flows seen
  uint64_t skipped = 0;  // without identity
  size_t entries = 0;    // states held now, all detectors
  size_t approx_bytes = 0;
};

class BehaviourDetectors {
 public:
  explicit BehaviourDetectors(BehaviourOptions options);
  BehaviourDetectors(const BehaviourDetectors&) = delete;
  BehaviourDetectors& operator=(const BehaviourDetectors&) = delete;

  // One flow; appends the alerts it raises to `out`.
  void observe(const flow::FlowRecord& f, std::vector<Alert>& out);
  std::vector<Alert> observe(std::span<const model::ScoredFlow> batch);

  BehaviourStats stats() const;
  const BehaviourOptions& options() const { return opt_; }

 private:
  BehaviourOptions opt_;
  ScanDetector scan_;
  PasswordDetector password_;
  FloodDetector flood_;
  ArpDetector arp_;
  BeaconDetector beacon_;
  uint64_t flows_ = 0, skipped_ = 0;
};

// Flows the target-keyed tables count (flood per target, ARP reply storm per MAC): what a
// worker sends to the alerter as flow summaries when the scope is split.
bool target_keyed_shape(const flow::FlowRecord& f);
// The key those tables use: the sender MAC for ARP, else the destination address.
const std::string& target_key(const flow::FlowRecord& f);

// From the `behaviour` section of the settings table.
BehaviourOptions behaviour_options(const Config& c);

}  // namespace flowsentry::detect
