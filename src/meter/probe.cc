#include "meter/probe.h"

#include <string>

namespace flowsentry::meter {

void publish_metrics(const MeterCounters& before, const MeterCounters& now,
                     MetricsRegistry& registry) {
  auto add = [](Counter& c, uint64_t a, uint64_t b) {
    if (b > a) c.inc(static_cast<double>(b - a));
  };
  add(registry.counter("flowsentry_packets_total", "Packets handed to the flow meter"),
      before.packets, now.packets);
  for (size_t i = 1; i < now.skipped.size(); ++i) {
    const auto reason = std::string(skip_reason_name(static_cast<SkipReason>(i)));
    add(registry.counter("flowsentry_packets_skipped_total",
                         "Packets the meter could not use, by reason", {{"reason", reason}}),
        before.skipped[i], now.skipped[i]);
  }
  add(registry.counter("flowsentry_meter_flows_total", "Flows the meter created"), before.flows,
      now.flows);
  add(registry.counter("flowsentry_meter_records_total", "Flow records the meter emitted"),
      before.records, now.records);
  add(registry.counter("flowsentry_meter_evictions_total",
                       "Flows closed early because the flow table was full"),
      before.evictions, now.evictions);
}

}  // namespace flowsentry::meter
