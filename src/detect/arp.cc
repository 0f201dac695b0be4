#include "detect/arp.h"

#include <algorithm>

#include <fmt/format.h>

namespace flowsentry::detect {
namespace {

constexpr size_t kMaxMacs = 8;
constexpr size_t kMaxAddresses = 32;

bool zero_or_broadcast(const std::string& mac) {
  return mac == "00:00:00:00:00:00" || mac == "ff:ff:ff:ff:ff:ff";
}

// The flow's first packet was a reply nobody in this flow asked for, or a gratuitous ARP.
bool unsolicited(const flow::FlowRecord& f) {
  if (f[flow::kIsSmIpsPorts] != 0 || *f.srcip == *f.dstip) return true;
  return f.arp_tha && !zero_or_broadcast(*f.arp_tha);
}

}  // namespace

bool arp_storm_candidate(const flow::FlowRecord& f) {
  return f.proto == "arp" && f.arp_sha && !zero_or_broadcast(*f.arp_sha) && f.srcip && f.dstip &&
         unsolicited(f);
}

ArpDetector::ArpDetector(const BehaviourOptions& options)
    : opt_(options),
      claims_("arp_claims", options.max_hosts, kArpClaimMemoryS),
      storms_("arp_storm", options.max_hosts, options.arp_window_s) {}

void ArpDetector::observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  if (f.proto != "arp" || !f.arp_sha || zero_or_broadcast(*f.arp_sha)) return;
  // 0.0.0.0: a probe claims nothing.
  if (opt_.scope != BehaviourScope::kTargetKeyed && *f.srcip != "0.0.0.0") claim(f, t, out);
  if (opt_.scope != BehaviourScope::kSourceKeyed) storm(f, t, out);
}

void ArpDetector::claim(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  const std::string& ip = *f.srcip;
  auto& s = claims_.touch(ip, t);
  s.tally.add(f, t);
  s.examples.add(f, opt_.max_examples);
  std::erase_if(s.macs, [&](const auto& m) { return m.second < t - kArpClaimMemoryS; });
  if (s.macs.size() < kMaxMacs || s.macs.contains(*f.arp_sha)) s.macs[*f.arp_sha] = t;
  if (s.alerted || s.macs.size() < 2) return;
  s.alerted = true;
  auto macs = nlohmann::json::object();
  for (const auto& [mac, last] : s.macs) macs[mac] = last;
  std::vector<std::string> names;
  for (const auto& [mac, last] : s.macs) names.push_back(mac);
  out.push_back(behaviour_alert(
      "arp_spoofing", ip, Severity::kCritical,
      fmt::format("ARP spoofing: {} claimed by {} MACs ({})", ip, s.macs.size(),
                  fmt::join(names, ", ")),
      s.tally, {{"src", ip}, {"dst", *f.dstip}},
      {{"signal", "ip_claimed_by_several_macs"}, {"ip", ip}, {"macs", macs}}, s.examples));
}

void ArpDetector::storm(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  if (!unsolicited(f)) return;
  const std::string& mac = *f.arp_sha;
  auto& s = storms_.touch(mac, t);
  if (t - s.start > opt_.arp_window_s) s = ArpStorm{t};
  s.tally.add(f, t);
  s.examples.add(f, opt_.max_examples);
  s.unsolicited += static_cast<uint64_t>(std::max(1.0, f[flow::kSpkts]));
  if (s.claimed.size() < kMaxAddresses) s.claimed.insert(*f.srcip);
  if (s.targets.size() < kMaxAddresses) s.targets.insert(*f.dstip);
  if (s.alerted || s.unsolicited < opt_.arp_unsolicited) return;
  s.alerted = true;
  out.push_back(behaviour_alert(
      "arp_spoofing", mac,
      s.unsolicited >= 10 * opt_.arp_unsolicited ? Severity::kCritical : Severity::kWarning,
      fmt::format("ARP reply storm: {} sent {} unsolicited ARP replies claiming {} to {} hosts "
                  "in {:.0f} s",
                  mac, s.unsolicited, fmt::join(s.claimed, ", "), s.targets.size(),
                  s.tally.last - s.tally.first),
      s.tally, {{"src", first_of(s.claimed)}, {"dst", first_of(s.targets)}},
      {{"signal", "unsolicited_replies"},
       {"mac", mac},
       {"unsolicited", s.unsolicited},
       {"claimed_ips", first_of(s.claimed)}},
      s.examples));
}

}  // namespace flowsentry::detect
