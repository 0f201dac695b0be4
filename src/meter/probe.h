// The meter's metrics: packets metered and skipped by reason, flows, records, evictions.
// Published as deltas so several meters (one per capture file) add up.
#pragma once

#include "common/metrics.h"
#include "meter/meter.h"

namespace flowsentry::meter {

// Adds `now - before` of every counter to `registry` (the global one by default):
// flowsentry_packets_total, flowsentry_packets_skipped_total{reason},
// flowsentry_meter_flows_total, flowsentry_meter_records_total,
// flowsentry_meter_evictions_total.
void publish_metrics(const MeterCounters& before, const MeterCounters& now,
                     MetricsRegistry& registry = MetricsRegistry::global());

}  // namespace flowsentry::meter
