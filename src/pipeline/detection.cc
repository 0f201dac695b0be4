#include "pipeline/detection.h"

#include <fmt/format.h>

#include "common/log.h"
#include "common/metrics.h"
#include "detect/options.h"
#include "pipeline/pipeline.h"

namespace flowsentry::pipeline {
namespace {

constexpr double kDriftRecentSeconds = 15 * 60;  // "drift" status lasts this long

}  // namespace

DetectionOptions detection_options(const Config& config) {
  DetectionOptions o;
  o.adwin = detect::adwin_options(config);
  o.mix = detect::mix_drift_options(config);
  o.burst = detect::burst_options(config);
  o.single_flow = detect::single_flow_options(config);
  o.behaviour = detect::behaviour_options(config);
  const auto mode = config.get_string("detect.anomaly_alerts");
  o.anomaly_alerts = mode == "on"    ? AnomalyAlerts::kOn
                     : mode == "off" ? AnomalyAlerts::kOff
                                     : AnomalyAlerts::kAuto;
  o.suppressions_max = static_cast<size_t>(config.get_int("alert.suppressions_max"));
  o.suppressions_reload_s = config.get_double("alert.suppressions_reload_s");
  return o;
}

detect::MixReference mix_reference(const nlohmann::json& reference) {
  detect::MixReference out;
  for (const char* field : detect::kMixFields) {
    if (!reference.contains(field) || !reference[field].contains("counts")) continue;
    for (const auto& [value, n] : reference[field]["counts"].items()) {
      if (n.is_number()) out[field][value] = n.get<double>();
    }
  }
  return out;
}

detect::MixVocabulary mix_vocabulary(const nlohmann::json& reference) {
  detect::MixVocabulary out;
  for (const char* field : detect::kMixFields) {
    if (!reference.contains(field) || !reference[field].contains("seen")) continue;
    for (const auto& v : reference[field]["seen"]) {
      if (v.is_string()) out[field].insert(v.get<std::string>());
    }
  }
  return out;
}

void DetectionStage::know_categories(detect::MixVocabulary known) {
  std::lock_guard lock(mu_);
  mix_drift_.set_known(std::move(known));
}

DetectionStage::DetectionStage(DetectionOptions options, detect::MixReference reference,
                               detect::Dispatcher& dispatcher, store::Store* store)
    : options_(options),
      score_drift_(options.adwin),
      mix_drift_(options.mix, std::move(reference)),
      burst_(options.burst),
      behaviour_(options.behaviour),
      dispatcher_(dispatcher),
      store_(store),
      recorder_(store ? std::make_unique<AlertRecorder>(*store) : nullptr),
      id_prefix_(fmt::format("{:x}", static_cast<int64_t>(wall_seconds() * 1000))),
      suppressions_(options.suppressions_max) {
  if (!store_) return;
  reload_suppressions(wall_seconds());
  // Delivery results update the stored alert, so the dashboard shows them.
  dispatcher_.log().on_delivery([this](const detect::DeliveryRecord& d) {
    MetricsRegistry::global()
        .counter("flowsentry_alert_deliveries_total", "Alert deliveries by notifier and outcome",
                 {{"notifier", d.notifier}, {"status", d.status}})
        .inc();
    for (const auto& a : dispatcher_.log().alerts()) {
      if (a.id != d.alert_id) continue;
      store::StoredAlert s{
          fmt::format("{}-{}", id_prefix_, a.id),
          a.alert.type,
          a.alert.key(),
          a.alert.time,
          a.alert.to_json().dump(),
          fmt::format("{} {}{}", d.notifier, d.status, d.error.empty() ? "" : ": " + d.error)};
      recorder_->record(std::move(s));
    }
  });
}

void DetectionStage::reload_suppressions(double now) {
  if (!store_) return;
  last_reload_ = now;
  // Read outside the lock: a slow store must not hold up observe().
  auto rules = store_->list_suppressions(now, static_cast<int>(options_.suppressions_max));
  if (!rules.ok()) {
    auto log = module_logger("detect");
    log->log(reload_failed_ ? spdlog::level::debug : spdlog::level::warn,
             "suppression rules not reloaded, keeping {}: {}", suppressions_.size(),
             rules.error().to_string());
    reload_failed_ = true;
    return;
  }
  std::vector<detect::SuppressionRule> out;
  out.reserve(rules->size());
  for (const auto& r : *rules)
    out.push_back({r.id, r.kind, r.src, r.dst, r.service, r.port, r.expires});
  std::lock_guard lock(mu_);
  if (size_t left_out = suppressions_.set(out); left_out > 0) {
    module_logger("detect")->debug("{} suppression rules left out (no field or bad address)",
                                   left_out);
  }
}

// Test alerts are never suppressed: they check the delivery path.
bool DetectionStage::suppressed(const detect::Alert& alert) {
  if (alert.type == "test" || !suppressions_.match(alert, wall_seconds())) return false;
  MetricsRegistry::global()
      .counter("flowsentry_alerts_suppressed_total",
               "Alerts dropped by an analyst's suppression rule, by kind",
               {{"kind", alert.kind_or_type()}})
      .inc();
  ++suppressed_;
  return true;
}

void DetectionStage::raise(const detect::Alert& alert) {
  if (suppressed(alert)) return;
  auto result = dispatcher_.submit(alert);
  const char* disposition = result == detect::SubmitResult::kQueued       ? "queued"
                            : result == detect::SubmitResult::kSuppressed ? "suppressed"
                                                                          : "dropped";
  MetricsRegistry::global()
      .counter("flowsentry_alerts_total", "Alerts raised, by kind and what happened to them",
               {{"type", alert.type}, {"kind", alert.kind_or_type()}, {"disposition", disposition}})
      .inc();
  if (alert.type == "score_drift" || alert.type == "mix_drift") last_drift_ = alert.time;
  ++alerts_;
  if (!store_ || result != detect::SubmitResult::kQueued) return;
  // The log gave the alert its id when it was submitted: the newest record is this one.
  auto records = dispatcher_.log().alerts();
  uint64_t id = records.empty() ? alerts_ : records.back().id;
  store::StoredAlert s{fmt::format("{}-{}", id_prefix_, id),
                       alert.type,
                       alert.key(),
                       alert.time,
                       alert.to_json().dump(),
                       "pending"};
  recorder_->record(std::move(s));
  if (alert.type == "score_drift" && store_) {
    store::DriftEvent e{alert.time,
                        "score",
                        "adwin",
                        alert.payload.value("mean_after", 0.0),
                        alert.payload.value("mean_before", 0.0),
                        alert.payload.dump()};
    recorder_->record(std::move(e));
  }
}

void DetectionStage::record_window(const detect::MixWindow& w) {
  for (const auto& m : w.measurements) {
    MetricsRegistry::global()
        .gauge("flowsentry_mix_drift", "Last traffic-mix divergence by field and baseline",
               {{"field", m.field},
                {"baseline", m.baseline},
                {"measure", detect::measure_name(options_.mix.measure)}})
        .set(m.value);
    if (!store_) continue;
    nlohmann::json details{{"field", m.field}, {"baseline", m.baseline},
                           {"over", m.over},   {"consecutive", m.consecutive},
                           {"flows", w.flows}, {"window_start", w.start}};
    store::DriftEvent e{w.end,
                        "mix",
                        detect::measure_name(options_.mix.measure),
                        m.value,
                        options_.mix.threshold,
                        details.dump()};
    recorder_->record(std::move(e));
  }
  for (const auto& a : w.alerts) raise(a);
}

void DetectionStage::observe(std::span<const model::ScoredFlow> batch) {
  std::lock_guard lock(mu_);
  if (options_.drift) {
    for (const auto& a : score_drift_.observe(batch)) raise(a);
    MetricsRegistry::global()
        .gauge("flowsentry_adwin_width", "Flows in ADWIN's window over the score stream")
        .set(static_cast<double>(score_drift_.adwin().width()));
    for (const auto& w : mix_drift_.observe(batch)) record_window(w);
  }
  // On the alerter the behaviour tables count flow summaries only: anomalies of the same flows
  // would count twice.
  if (options_.behaviour.enabled &&
      options_.behaviour.scope != detect::BehaviourScope::kTargetKeyed) {
    for (const auto& a : behaviour_.observe(batch)) raise(a);
    MetricsRegistry::global()
        .gauge("flowsentry_detector_states", "States held by the host-behaviour detectors")
        .set(static_cast<double>(behaviour_.stats().entries));
  }
  anomaly_alerts(batch);
}

void DetectionStage::observe_summaries(std::span<const flow::FlowRecord> flows) {
  if (!options_.behaviour.enabled) return;
  std::lock_guard lock(mu_);
  std::vector<detect::Alert> out;
  for (const auto& f : flows) behaviour_.observe(f, out);
  for (const auto& a : out) raise(a);
  MetricsRegistry::global()
      .gauge("flowsentry_detector_states", "States held by the host-behaviour detectors")
      .set(static_cast<double>(behaviour_.stats().entries));
}

bool DetectionStage::alerts_on(const model::ScoredFlow& f) const {
  switch (options_.anomaly_alerts) {
    case AnomalyAlerts::kOn:
      return true;
    case AnomalyAlerts::kOff:
      return false;
    case AnomalyAlerts::kAuto:
      break;
  }
  return options_.model_calibrated || !f.flow.srcip;
}

void DetectionStage::anomaly_alerts(std::span<const model::ScoredFlow> batch) {
  if (!options_.bursts && !options_.single_flow.enabled) return;
  for (const auto& f : batch) {
    const bool single =
        options_.single_flow.enabled && f.verdict.score >= options_.single_flow.threshold;
    if (f.verdict.label != 1 && !single) continue;
    if (!alerts_on(f)) {
      if (unalerted_++ == 0 && options_.anomaly_alerts == AnomalyAlerts::kAuto) {
        module_logger("detect")->warn(
            "per-flow anomaly alerts are off for metered traffic: the model is not calibrated "
            "for this site (run `flowsentry calibrate --model DIR --data KNOWN_GOOD.pcap`); "
            "behaviour detectors still alert");
      }
      continue;
    }
    const double t = detect::event_time(f, wall_seconds);
    if (options_.bursts && f.verdict.label == 1) {
      if (auto a = burst_.hit(f, t)) raise(*a);
    }
    if (!single) continue;
    if (auto a = detect::single_flow_alert(options_.single_flow, f, t)) raise(*a);
  }
}

void DetectionStage::tick(double now) {
  if (store_ && !(now - last_reload_ < options_.suppressions_reload_s)) reload_suppressions(now);
  std::lock_guard lock(mu_);
  if (options_.drift) {
    for (const auto& w : mix_drift_.advance(now)) record_window(w);
  }
  if (options_.bursts) burst_.advance(now);
}

const char* DetectionStage::anomaly_alerts_state() const {
  switch (options_.anomaly_alerts) {
    case AnomalyAlerts::kOn:
      return "on";
    case AnomalyAlerts::kOff:
      return "off";
    case AnomalyAlerts::kAuto:
      break;
  }
  if (options_.model_calibrated) return "on";
  return unalerted_ > 0 ? "off_uncalibrated" : "on";
}

nlohmann::json DetectionStage::status() const {
  std::lock_guard lock(mu_);
  bool recent = last_drift_ > 0 && wall_seconds() - last_drift_ < kDriftRecentSeconds;
  return {{"drift_status", recent ? "drift" : "ok"},
          {"adwin_width", score_drift_.adwin().width()},
          {"adwin_mean", score_drift_.adwin().mean()},
          {"alerts", alerts_},
          {"anomaly_alerts", anomaly_alerts_state()},
          {"anomalies_unalerted", unalerted_},
          {"alerts_suppressed", suppressed_},
          {"suppression_rules", suppressions_.size()},
          {"behaviour_states", behaviour_.stats().entries}};
}

}  // namespace flowsentry::pipeline
