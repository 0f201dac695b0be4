// ARP spoofing, from the ARP fields the meter keeps (sender MAC and IP of a flow's first
// packet): one IP claimed by several MACs within `arp_claim_memory_s`, and one MAC sending at
// least `arp_unsolicited` unsolicited replies or gratuitous ARPs in `arp_window_s` (arpspoof
// re-poisons every 2 s; a host announces itself once or twice).
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "detect/behaviour_evidence.h"
#include "detect/host_table.h"

namespace flowsentry::detect {

inline constexpr double kArpClaimMemoryS = 3600;

// An ARP flow the reply-storm table counts (per sender MAC): an unsolicited reply or a
// gratuitous ARP with a real sender MAC.
bool arp_storm_candidate(const flow::FlowRecord& f);

struct ArpClaims {                     // per IP
  std::map<std::string, double> macs;  // MAC -> last claim time (a few at most)
  Tally tally;
  bool alerted = false;
  Examples examples;
};

struct ArpStorm {  // per MAC
  double start = 0;
  Tally tally;
  uint64_t unsolicited = 0;
  std::set<std::string> claimed, targets;
  bool alerted = false;
  Examples examples;
};

class ArpDetector {
 public:
  explicit ArpDetector(const BehaviourOptions& options);
  void observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  size_t entries() const { return claims_.size() + storms_.size(); }
  size_t approx_bytes() const { return claims_.size() * 400 + storms_.size() * 600; }

 private:
  void claim(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  void storm(const flow::FlowRecord& f, double t, std::vector<Alert>& out);

  const BehaviourOptions& opt_;
  HostTable<ArpClaims> claims_;
  HostTable<ArpStorm> storms_;
};

}  // namespace flowsentry::detect
