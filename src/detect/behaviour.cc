#include "detect/behaviour.h"

#include <utility>

#include "common/metrics.h"

namespace flowsentry::detect {

BehaviourDetectors::BehaviourDetectors(BehaviourOptions options)
    : opt_(std::move(options)),
      scan_(opt_),
      password_(opt_),
      flood_(opt_),
      arp_(opt_),
      beacon_(opt_) {}

void BehaviourDetectors::observe(const flow::FlowRecord& f, std::vector<Alert>& out) {
  ++flows_;
  if (!opt_.enabled) return;
  if (!has_identity(f)) {
    ++skipped_;
    return;
  }
  const double t = *f.stime;
  const bool source_keyed = opt_.scope != BehaviourScope::kTargetKeyed;
  if (source_keyed) scan_.observe(f, t, out);
  if (source_keyed) password_.observe(f, t, out);
  flood_.observe(f, t, out);
  arp_.observe(f, t, out);
  if (source_keyed) beacon_.observe(f, t, out);
}

bool target_keyed_shape(const flow::FlowRecord& f) {
  return has_identity(f) && (flood_class(f).has_value() || arp_storm_candidate(f));
}

const std::string& target_key(const flow::FlowRecord& f) {
  return f.proto == "arp" && f.arp_sha ? *f.arp_sha : *f.dstip;
}

std::vector<Alert> BehaviourDetectors::observe(std::span<const model::ScoredFlow> batch) {
  std::vector<Alert> out;
  for (const auto& s : batch) observe(s.flow, out);
  return out;
}

BehaviourStats BehaviourDetectors::stats() const {
  BehaviourStats s;
  s.flows = flows_;
  s.skipped = skipped_;
  s.entries =
      scan_.entries() + password_.entries() + flood_.entries() + arp_.entries() + beacon_.entries();
  s.approx_bytes = scan_.approx_bytes() + password_.approx_bytes() + flood_.approx_bytes() +
                   arp_.approx_bytes() + beacon_.approx_bytes();
  return s;
}

BehaviourOptions behaviour_options(const Config& c) {
  BehaviourOptions o;
  auto u = [&](const char* key) { return static_cast<uint64_t>(c.get_int(key)); };
  o.enabled = c.get_bool("behaviour.enabled");
  o.max_hosts = static_cast<size_t>(c.get_int("behaviour.max_hosts"));
  o.max_examples = static_cast<size_t>(c.get_int("behaviour.max_examples"));
  o.scan_window_s = c.get_double("behaviour.scan_window_s");
  o.scan_ports = u("behaviour.scan_ports");
  o.scan_hosts = u("behaviour.scan_hosts");
  o.scan_half_open_ports = u("behaviour.scan_half_open_ports");
  o.sweep_window_s = c.get_double("behaviour.sweep_window_s");
  o.sweep_hosts = u("behaviour.sweep_hosts");
  o.password_window_s = c.get_double("behaviour.password_window_s");
  o.password_attempts = u("behaviour.password_attempts");
  o.password_http_attempts = u("behaviour.password_http_attempts");
  o.password_max_duration_s = c.get_double("behaviour.password_max_duration_s");
  o.flood_window_s = c.get_double("behaviour.flood_window_s");
  o.flood_packets = u("behaviour.flood_packets");
  o.flood_dhcp_packets = u("behaviour.flood_dhcp_packets");
  o.arp_window_s = c.get_double("behaviour.arp_window_s");
  o.arp_unsolicited = u("behaviour.arp_unsolicited");
  o.beacon_min_connections = u("behaviour.beacon_min_connections");
  o.beacon_min_score = c.get_double("behaviour.beacon_min_score");
  o.beacon_idle_s = c.get_double("behaviour.beacon_idle_s");
  o.beacon_ignore_ports = c.get_string("behaviour.beacon_ignore_ports");
  return o;
}

}  // namespace flowsentry::detect
