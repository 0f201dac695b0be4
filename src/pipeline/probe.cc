#include "pipeline/probe.h"

namespace flowsentry::pipeline {

Probe& Probe::get() {
  auto& r = MetricsRegistry::global();
  static Probe probe{
      r.counter("flowsentry_flows_received_total", "Flows read from the source"),
      r.counter("flowsentry_flows_scored_total", "Flows scored by the model"),
      r.counter("flowsentry_flows_stored_total", "Flows newly written to the store"),
      r.counter("flowsentry_anomalies_total", "Flows labelled anomalous"),
      r.counter("flowsentry_store_errors_total", "Failed store writes (retried)"),
      r.histogram("flowsentry_score_batch_seconds", "Time to score one batch"),
      r.histogram("flowsentry_store_write_seconds", "Time to store one batch"),
      // Finer around the latency objectives (tens to hundreds of ms) than the default buckets,
      // so quantiles interpolated from it are not off by a whole 100-250 ms bucket.
      r.histogram("flowsentry_end_to_end_seconds",
                  "From the flow's send time (or read time) to its batch being stored", {},
                  {0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.125, 0.15, 0.2,
                   0.25,  0.3,  0.4,  0.5,  0.75, 1,    2.5,   5,   10,    30}),
      r.gauge("flowsentry_pipeline_queue_batches", "Batches waiting to be scored"),
  };
  return probe;
}

Counter& Probe::rejected(const std::string& reason) {
  return MetricsRegistry::global().counter("flowsentry_records_rejected_total",
                                           "Records rejected as malformed, by reason",
                                           {{"reason", reason}});
}

}  // namespace flowsentry::pipeline
