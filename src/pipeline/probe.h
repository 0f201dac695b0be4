// The pipeline's metrics, registered once in the global registry.
#pragma once

#include "common/metrics.h"

namespace flowsentry::pipeline {

struct Probe {
  Counter& flows_in;
  Counter& flows_scored;
  Counter& flows_stored;
  Counter& anomalies;
  Counter& store_errors;
  Histogram& score_seconds;
  Histogram& store_seconds;
  Histogram& end_to_end_seconds;
  Gauge& queue_batches;

  static Probe& get();
  // flowsentry_records_rejected_total{reason}
  static Counter& rejected(const std::string& reason);
};

}  // namespace flowsentry::pipeline
