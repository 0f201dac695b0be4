// Fuzzes the flow-summary decoder (what the alerter reads from the summaries topic): any bytes
// are refused with a reason or decode to at most kMaxSummariesPerMessage flows, which encode and
// decode back to the same values and feed the target-keyed detectors without harm.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "detect/behaviour.h"
#include "detect/flow_summary.h"

using namespace flowsentry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::vector<flow::FlowRecord> flows;
  std::string reason;
  if (!detect::decode_summaries(bytes, flows, reason)) {
    if (reason.empty() || !flows.empty()) std::abort();
    return 0;
  }
  if (flows.empty() || flows.size() > detect::kMaxSummariesPerMessage) std::abort();
  std::string body;
  for (const auto& f : flows) detect::encode_summary(f, body);
  std::vector<flow::FlowRecord> again;
  if (!detect::decode_summaries(detect::summary_message(body, flows.size()), again, reason) ||
      again.size() != flows.size()) {
    std::abort();
  }
  for (size_t i = 0; i < flows.size(); ++i) {
    const auto &a = flows[i], &b = again[i];
    if (a.stime != b.stime || a.srcip != b.srcip || a.dstip != b.dstip || a.sport != b.sport ||
        a.dsport != b.dsport || a.proto != b.proto || a.state != b.state || a.num != b.num ||
        a.arp_sha != b.arp_sha || a.arp_tha != b.arp_tha) {
      std::abort();
    }
  }
  detect::BehaviourOptions o;
  o.scope = detect::BehaviourScope::kTargetKeyed;
  o.flood_packets = 10;
  o.arp_unsolicited = 1;
  detect::BehaviourDetectors d(o);
  std::vector<detect::Alert> alerts;
  for (const auto& f : flows) d.observe(f, alerts);
  for (const auto& a : alerts) (void)a.to_json().dump();
  return 0;
}
