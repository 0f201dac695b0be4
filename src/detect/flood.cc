#include "detect/flood.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace flowsentry::detect {
namespace {

constexpr size_t kMaxPeers = 32;
constexpr uint64_t kMinUdpFloodFlows = 10;
constexpr std::array<const char*, kFloodClasses> kClassNames{"syn", "udp", "icmp", "dhcp"};

void vote(FloodCounts& c, int64_t port, uint64_t weight) {
  if (port == c.port) {
    c.margin += weight;
  } else if (c.margin >= weight) {
    c.margin -= weight;
  } else {
    c.port = port;
    c.margin = weight - c.margin;
  }
}

}  // namespace

std::optional<FloodClass> flood_class(const flow::FlowRecord& f) {
  const int64_t port = f.dsport.value_or(-1);
  if (f.proto == "udp" && (port == 67 || port == 68)) return kDhcpFlood;
  if (f.proto == "tcp" && failed_attempt(f)) return kSynFlood;
  if (f.proto == "udp" && f[flow::kSpkts] > 10 * f[flow::kDpkts]) return kUdpFlood;
  if (f.proto == "icmp" || f.proto == "ipv6-icmp") return kIcmpFlood;
  return std::nullopt;
}

FloodDetector::FloodDetector(const BehaviourOptions& options)
    : opt_(options),
      by_source_("flood_source", options.max_hosts, options.flood_window_s),
      by_target_("flood_target", options.max_hosts, options.flood_window_s) {}

void FloodDetector::observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  const auto c = flood_class(f);
  if (!c) return;
  if (opt_.scope != BehaviourScope::kTargetKeyed) {
    count(by_source_, *f.srcip, *f.dstip, false, *c, f, t, out);
  }
  if (opt_.scope != BehaviourScope::kSourceKeyed) {
    count(by_target_, *f.dstip, *f.srcip, true, *c, f, t, out);
  }
}

void FloodDetector::count(HostTable<FloodState>& table, const std::string& host,
                          const std::string& peer, bool target, FloodClass c,
                          const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  auto& s = table.touch(host, t);
  if (t - s.start > opt_.flood_window_s) s = FloodState{t};
  s.tally.add(f, t);
  if (s.peers.size() < kMaxPeers) s.peers.insert(peer);
  auto& k = s.counts[c];
  const auto packets = static_cast<uint64_t>(std::max(1.0, f[flow::kSpkts]));
  k.packets += packets;
  ++k.flows;
  vote(k, c == kIcmpFlood ? 0 : f.dsport.value_or(0), packets);
  const uint64_t need = c == kDhcpFlood ? opt_.flood_dhcp_packets : opt_.flood_packets;
  // Examples once a flood builds up (a tenth of the threshold): they show the flood's flows,
  // and the many hosts that never get there keep no copies.
  if (10 * k.packets >= need) s.examples.add(f, opt_.max_examples);
  const bool one_port = c == kIcmpFlood || c == kDhcpFlood || 2 * k.margin >= k.packets;
  // One UDP flow with many packets is a stream (RTP, IPTV); a flood sprays source ports.
  const bool spread = c != kUdpFlood || k.flows >= kMinUdpFloodFlows;
  if (k.alerted || k.packets < need || !one_port || !spread) return;
  k.alerted = true;
  const char* name = kClassNames[c];
  const double span = std::max(s.tally.last - s.tally.first, 1e-6);
  nlohmann::json hosts = target ? nlohmann::json{{"src", first_of(s.peers)}, {"dst", host}}
                                : nlohmann::json{{"src", host}, {"dst", first_of(s.peers)}};
  nlohmann::json evidence{{"flood", name},
                          {"direction", target ? "to_target" : "from_source"},
                          {"class_packets", k.packets},
                          {"class_flows", k.flows},
                          {"packets_per_s", static_cast<double>(k.packets) / span},
                          {"peers", s.peers.size()},
                          {"peers_capped", s.peers.size() >= kMaxPeers}};
  if (c != kIcmpFlood) evidence["port"] = k.port;
  out.push_back(
      behaviour_alert("flood", fmt::format("{}:{}:{}", name, target ? "to" : "from", host),
                      k.packets >= 10 * need ? Severity::kCritical : Severity::kWarning,
                      fmt::format("{} flood {} {}: {} packets in {:.1f} s from {}{} hosts", name,
                                  target ? "against" : "from", host, k.packets, span,
                                  s.peers.size() >= kMaxPeers ? "at least " : "", s.peers.size()),
                      s.tally, std::move(hosts), std::move(evidence), s.examples));
}

}  // namespace flowsentry::detect
