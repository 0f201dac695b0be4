// The two Kafka roles of `flowsentry run`.
//
// Worker: consumes `kafka.topic`, scores, stores, and only then commits. Records that do not
// decode, or that the store refuses, go to `kafka.dlq_topic` (with their original key, headers
// and timestamp); anomalies go to `kafka.anomalies_topic`. A batch's offsets are committed only
// after the batch is stored AND its dead-letter and anomaly messages are acknowledged by the
// broker (Outbox), so neither a broker outage nor a crash loses them. The consumer is polled and
// committed from the calling thread; before partitions are revoked, the batch in flight is
// stored and committed.
//
// A worker (role worker, kafka.summaries_topic set) also publishes flow summaries, keyed by
// target, for the alerter's target-keyed detectors (SummaryPublisher; dropped, never waited for).
//
// Alerter: consumes `kafka.anomalies_topic` and runs the burst rule and notifications, and the
// flow summaries for the per-target flood and ARP reply-storm tables, so alerts are global
// across workers; offsets are committed after the messages are observed.
#pragma once

#include <atomic>

#include "common/config.h"
#include "model/scorer_handle.h"
#include "pipeline/detection.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

namespace flowsentry::pipeline {

// Runs until `stop`; `running` points at the pipeline while it runs, so a signal handler can
// stop it. `detection` may be null; `also`, when set, observes every stored batch too (the SIEM
// outputs; it must not block).
Status run_kafka_worker(const Config& config, model::ScorerHandle& models, store::Store& store,
                        DetectionStage* detection, std::atomic<bool>& stop, Pipeline*& running,
                        Pipeline::Observer also = {});

// `anomalies`, when set, observes every anomalous verdict read from the anomalies topic (the
// SIEM outputs, which then get each worker's anomalies once, from one place).
Status run_alerter(const Config& config, DetectionStage& detection, std::atomic<bool>& stop,
                   Pipeline::Observer anomalies = {});

// The pipeline.* settings (batching, queue, explanations) as PipelineOptions.
PipelineOptions pipeline_options(const Config& config);

}  // namespace flowsentry::pipeline
