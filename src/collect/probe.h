// The collector's metrics in /metrics: datagrams, records by version, decode errors by reason,
// records lost to sequence gaps, templates active, flows out (biflow / one_way), flows refused.
#pragma once

#include "collect/collector.h"

namespace flowsentry::collect {

// Publishes what changed since the last call (counters) and the current gauges.
class CollectProbe {
 public:
  void publish(const Collector& c);

 private:
  DecoderCounters last_;
  PairingCounters last_pairing_;
  uint64_t last_rejected_ = 0;
};

}  // namespace flowsentry::collect
