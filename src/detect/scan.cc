#include "detect/scan.h"

#include <fmt/format.h>

namespace flowsentry::detect {
namespace {

constexpr uint64_t kMaxElements = 4096;  // set members per source: bounds a -p- scan's state

bool icmp(const flow::FlowRecord& f) {
  return f.proto == "icmp" || f.proto == "ipv6-icmp";
}

// ICMP queries a sweep sends: echo, timestamp, information, address mask (Argus state names).
bool icmp_query(const flow::FlowRecord& f) {
  return icmp(f) && (f.state == "ECO" || f.state == "TST" || f.state == "IRQ" || f.state == "MAS");
}

bool port_unreachable(const flow::FlowRecord& f) {
  return icmp(f) && f.state.starts_with("UR");
}

// A host asking who has an address (a request carries an all-zero target hardware address).
bool arp_request(const flow::FlowRecord& f) {
  return f.proto == "arp" && f[flow::kIsSmIpsPorts] == 0 &&
         (!f.arp_tha || *f.arp_tha == "00:00:00:00:00:00" || *f.arp_tha == "ff:ff:ff:ff:ff:ff");
}

}  // namespace

ScanDetector::ScanDetector(const BehaviourOptions& options)
    : opt_(options),
      scans_("port_scan", options.max_hosts, options.scan_window_s),
      sweeps_("icmp_sweep", options.max_hosts, options.sweep_window_s) {}

size_t ScanDetector::approx_bytes() const {
  size_t bytes = (scans_.size() + sweeps_.size()) * 320;
  scans_.for_each([&](const std::string&, const ScanState& s) {
    bytes += s.elements * 64 + (s.ports_by_target.size() + s.targets_by_port.size()) * 96;
  });
  sweeps_.for_each(
      [&](const std::string&, const SweepState& s) { bytes += s.targets.size() * 64; });
  return bytes;
}

void ScanDetector::observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  if (port_unreachable(f)) {
    observe_unreachable(f, t);
  } else if (icmp_query(f) || arp_request(f)) {
    observe_sweep(f, t, out);
  } else if ((f.proto == "tcp" || f.proto == "udp") && failed_attempt(f)) {
    observe_port(f, t, out);
  }
}

void ScanDetector::observe_unreachable(const flow::FlowRecord& f, double t) {
  // The answer goes back to the prober: it is the flow's destination.
  auto& s = scans_.touch(*f.dstip, t);
  if (t - s.start > opt_.scan_window_s) s = ScanState{t};
  ++s.unreachable;
}

void ScanDetector::observe_port(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  const std::string& src = *f.srcip;
  const std::string& dst = *f.dstip;
  const int64_t port = f.dsport.value_or(0);
  auto& s = scans_.touch(src, t);
  if (t - s.start > opt_.scan_window_s) s = ScanState{t};
  s.tally.add(f, t);
  if (s.tally.flows > 1) s.examples.add(f, opt_.max_examples);  // one-off flows keep none
  const bool half_open = half_open_probe(f);
  if (s.elements < kMaxElements) {
    s.elements += s.ports_by_target[dst].insert(port).second;
    s.elements += s.targets_by_port[port].insert(dst).second;
    if (half_open) s.elements += s.half_open_by_target[dst].insert(port).second;
  }
  const auto vit = s.ports_by_target.find(dst);
  const auto hoit = s.half_open_by_target.find(dst);
  const bool many_ports = vit != s.ports_by_target.end() && vit->second.size() >= opt_.scan_ports;
  const bool open_ports_probed =
      hoit != s.half_open_by_target.end() && hoit->second.size() >= opt_.scan_half_open_ports;
  if (!s.vertical_alerted && (many_ports || open_ports_probed)) {
    s.vertical_alerted = true;
    const auto& ports = vit->second;
    out.push_back(behaviour_alert(
        "port_scan", src, ports.size() >= 100 ? Severity::kCritical : Severity::kWarning,
        fmt::format("port scan: {} probed {} ports of {} ({} failed attempts in {:.0f} s)", src,
                    ports.size(), dst, s.tally.flows, s.tally.last - s.tally.first),
        s.tally, {{"src", src}, {"dst", dst}},
        {{"scan", many_ports ? "vertical" : "half_open"},
         {"proto", f.proto},
         {"distinct_ports", ports.size()},
         {"half_open_ports",
          hoit == s.half_open_by_target.end() ? nlohmann::json::array() : first_of(hoit->second)},
         {"ports", first_of(ports)},
         {"targets", s.ports_by_target.size()},
         {"icmp_unreachable", s.unreachable}},
        s.examples));
  }
  const auto hit = s.targets_by_port.find(port);
  if (!s.horizontal_alerted && hit != s.targets_by_port.end() &&
      hit->second.size() >= opt_.scan_hosts) {
    s.horizontal_alerted = true;
    const auto& targets = hit->second;
    out.push_back(behaviour_alert(
        "port_scan", src, targets.size() >= 100 ? Severity::kCritical : Severity::kWarning,
        fmt::format("port scan: {} probed port {}/{} on {} hosts in {:.0f} s", src, port, f.proto,
                    targets.size(), s.tally.last - s.tally.first),
        s.tally, {{"src", src}, {"dst", first_of(targets)}},
        {{"scan", "horizontal"},
         {"proto", f.proto},
         {"port", port},
         {"distinct_targets", targets.size()},
         {"icmp_unreachable", s.unreachable}},
        s.examples));
  }
}

void ScanDetector::observe_sweep(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  const std::string& src = *f.srcip;
  auto& s = sweeps_.touch(src, t);
  if (t - s.start > opt_.sweep_window_s) s = SweepState{t};
  s.tally.add(f, t);
  if (s.tally.flows > 1) s.examples.add(f, opt_.max_examples);  // one-off flows keep none
  if (s.targets.size() < kMaxElements) s.targets.insert(*f.dstip);
  if (s.protos.size() < 4) s.protos.insert(f.proto);
  s.answered += f[flow::kDpkts] > 0;
  if (s.alerted || s.targets.size() < opt_.sweep_hosts) return;
  s.alerted = true;
  // ARP alone is info: a router resolving the addresses of traffic it forwards (a scan from
  // elsewhere, a busy LAN) asks the same way as nmap -sn on the local segment.
  const bool arp_only = s.protos.size() == 1 && s.protos.contains("arp");
  const Severity severity = arp_only                  ? Severity::kInfo
                            : s.targets.size() >= 100 ? Severity::kCritical
                                                      : Severity::kWarning;
  out.push_back(behaviour_alert(
      "icmp_sweep", src, severity,
      fmt::format("host sweep: {} probed {} hosts ({}) in {:.0f} s", src, s.targets.size(),
                  fmt::join(s.protos, "/"), s.tally.last - s.tally.first),
      s.tally, {{"src", src}, {"dst", first_of(s.targets)}},
      {{"distinct_targets", s.targets.size()}, {"answered", s.answered}, {"protos", s.protos}},
      s.examples));
}

}  // namespace flowsentry::detect
