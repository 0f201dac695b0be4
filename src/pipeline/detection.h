// DetectionStage: the detectors wired as one pipeline observer. After a batch is stored it
// feeds ADWIN (score drift), the traffic-mix windows, the burst rule (plus the optional
// single-flow rule) and the host-behaviour detectors (every flow), drops alerts an analyst's
// suppression rule covers (detect/suppression.h; rules reloaded from the store), hands every
// other alert to the Dispatcher (which never blocks) and records alerts, delivery results and drift
// measurements in the store for the dashboard.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <span>

#include <nlohmann/json.hpp>

#include "common/config.h"
#include "detect/behaviour.h"
#include "detect/burst.h"
#include "detect/dispatcher.h"
#include "detect/mix_drift.h"
#include "detect/score_drift.h"
#include "detect/suppression.h"
#include "model/verdict.h"
#include "pipeline/alert_recorder.h"
#include "store/store.h"

namespace flowsentry::pipeline {

// Whether anomalies of the supervised model raise alerts (bursts, single flows). kAuto: yes,
// except for flows with host identity (metered from packets or collectors) while the model
// is not calibrated for the site — its validation threshold flags most of a real network's
// normal traffic. Behaviour detectors are not affected.
enum class AnomalyAlerts { kAuto, kOn, kOff };

struct DetectionOptions {
  detect::AdwinOptions adwin;
  detect::MixDriftOptions mix;
  detect::BurstOptions burst;
  detect::SingleFlowOptions single_flow;
  detect::BehaviourOptions behaviour;  // behaviour.enabled: off where only anomalies arrive
  bool bursts = true;  // false on a worker whose bursts are judged by a separate alerter
  bool drift = true;   // false on the alerter, which sees only anomalies
  AnomalyAlerts anomaly_alerts = AnomalyAlerts::kAuto;
  bool model_calibrated = false;      // the model carries a site calibration
  size_t suppressions_max = 1000;     // alert.suppressions_max
  double suppressions_reload_s = 30;  // alert.suppressions_reload_s
};

DetectionOptions detection_options(const Config& config);

// The model artifact's reference.json categorical counts, as the mix detector wants them.
detect::MixReference mix_reference(const nlohmann::json& reference);
// Its "seen" lists: every value of each field in the training data, rare ones included.
detect::MixVocabulary mix_vocabulary(const nlohmann::json& reference);

class DetectionStage {
 public:
  // `store` may be null (nothing recorded). The dispatcher must outlive the stage. Alerts,
  // deliveries and drift go to the store through an AlertRecorder: never waited for.
  DetectionStage(DetectionOptions options, detect::MixReference reference,
                 detect::Dispatcher& dispatcher, store::Store* store);

  void observe(std::span<const model::ScoredFlow> batch);
  // Flow summaries on the alerter (behaviour scope kTargetKeyed): the host-behaviour detectors
  // only, no drift or anomaly rules (summaries carry no verdict).
  void observe_summaries(std::span<const flow::FlowRecord> flows);
  void know_categories(detect::MixVocabulary known);
  // Closes quiet time windows and ends finished burst episodes, and reloads the suppression
  // rules from the store when alert.suppressions_reload_s has passed; call now and then.
  void tick(double now);
  // Reads the rules in force at `now` from the store (the newest suppressions_max). On a store
  // error the rules held so far stay.
  void reload_suppressions(double now);

  // {"drift_status": "ok"|"drift", "adwin_width", "adwin_mean", "alerts", "behaviour_states"}
  nlohmann::json status() const;

 private:
  void raise(const detect::Alert& alert);
  bool suppressed(const detect::Alert& alert);
  bool alerts_on(const model::ScoredFlow& f) const;
  // "on", "off", or "off_uncalibrated" once site traffic met an uncalibrated model.
  const char* anomaly_alerts_state() const;
  void anomaly_alerts(std::span<const model::ScoredFlow> batch);
  void record_window(const detect::MixWindow& w);

  DetectionOptions options_;
  detect::ScoreDriftDetector score_drift_;
  detect::MixDriftDetector mix_drift_;
  detect::KeyedBurstDetector burst_;
  detect::BehaviourDetectors behaviour_;
  detect::Dispatcher& dispatcher_;
  store::Store* store_;
  std::unique_ptr<AlertRecorder> recorder_;  // null without a store
  std::string id_prefix_;
  mutable std::mutex mu_;  // observe() and tick() come from different threads
  double last_drift_ = 0;
  uint64_t alerts_ = 0;
  uint64_t unalerted_ = 0;  // anomalies of site traffic not alerted on (uncalibrated model)
  detect::Suppressions suppressions_;
  uint64_t suppressed_ = 0;
  double last_reload_ = 0;
  bool reload_failed_ = false;  // warned once; later failures are debug lines
};

}  // namespace flowsentry::pipeline
