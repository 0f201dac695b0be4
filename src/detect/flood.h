// Floods: SYN (half-open TCP), UDP (unanswered), ICMP and DHCP packets counted per source and
// per target in tumbling event-time windows. SYN and UDP floods must hit one port with at least
// half their packets (a weighted majority vote), so a fast scan of many ports is a scan, not a
// flood. Spoofed sources are caught on the target side.
#pragma once

#include <array>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "detect/behaviour_evidence.h"
#include "detect/host_table.h"

namespace flowsentry::detect {

enum FloodClass : uint8_t { kSynFlood, kUdpFlood, kIcmpFlood, kDhcpFlood, kFloodClasses };

// The flood a flow counts toward, if any: failed TCP, one-way UDP, ICMP, DHCP.
std::optional<FloodClass> flood_class(const flow::FlowRecord& f);

struct FloodCounts {
  uint64_t packets = 0, flows = 0;
  int64_t port = -1;  // majority candidate and its vote margin
  uint64_t margin = 0;
  bool alerted = false;
};

struct FloodState {
  double start = 0;
  Tally tally;
  std::array<FloodCounts, kFloodClasses> counts{};
  std::set<std::string> peers;  // the first few
  Examples examples;
};

class FloodDetector {
 public:
  explicit FloodDetector(const BehaviourOptions& options);
  void observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  size_t entries() const { return by_source_.size() + by_target_.size(); }
  size_t approx_bytes() const { return entries() * 640; }

 private:
  void count(HostTable<FloodState>& table, const std::string& host, const std::string& peer,
             bool target, FloodClass c, const flow::FlowRecord& f, double t,
             std::vector<Alert>& out);

  const BehaviourOptions& opt_;
  HostTable<FloodState> by_source_;
  HostTable<FloodState> by_target_;
};

}  // namespace flowsentry::detect
