// DetectionStage's gate on per-flow anomaly alerts (detect.anomaly_alerts).
#include "pipeline/detection.h"

#include <atomic>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "detect/dispatcher.h"
#include "pipeline/testing/counting_notifier.h"

namespace flowsentry::pipeline {
namespace {

using testing::CountingNotifier;

// Ten anomalies in one context within a minute: one burst alert when alerts are on.
std::vector<model::ScoredFlow> burst(bool with_hosts) {
  std::vector<model::ScoredFlow> batch;
  for (int i = 0; i < 10; ++i) {
    model::ScoredFlow f;
    f.flow.stime = wall_seconds() - 30 + i;
    f.flow.proto = "tcp";
    f.flow.state = "FIN";
    if (with_hosts) {
      f.flow.srcip = "10.0.0.5";
      f.flow.dstip = "10.0.0.9";
    }
    f.verdict.label = 1;
    f.verdict.score = 0.9;
    batch.push_back(f);
  }
  return batch;
}

struct Outcome {
  int sent;
  nlohmann::json status;
};

Outcome run(AnomalyAlerts mode, bool calibrated, bool with_hosts) {
  std::atomic<int> sent{0};
  std::vector<std::unique_ptr<detect::Notifier>> notifiers;
  notifiers.push_back(std::make_unique<CountingNotifier>(sent));
  detect::DispatcherOptions dispatch;
  dispatch.rate_per_min = 0;
  detect::Dispatcher dispatcher(dispatch, std::move(notifiers));
  DetectionOptions options;
  options.drift = false;
  options.anomaly_alerts = mode;
  options.model_calibrated = calibrated;
  DetectionStage stage(options, {}, dispatcher, nullptr);
  stage.observe(burst(with_hosts));
  EXPECT_TRUE(dispatcher.flush(std::chrono::seconds(5)));
  return {sent.load(), stage.status()};
}

TEST(AnomalyAlertGate, MeteredTrafficNeedsACalibratedModel) {
  auto o = run(AnomalyAlerts::kAuto, false, true);
  EXPECT_EQ(o.sent, 0);
  EXPECT_EQ(o.status["anomaly_alerts"], "off_uncalibrated");
  EXPECT_EQ(o.status["anomalies_unalerted"], 10);
}

TEST(AnomalyAlertGate, ACalibratedModelAlertsOnMeteredTraffic) {
  auto o = run(AnomalyAlerts::kAuto, true, true);
  EXPECT_EQ(o.sent, 1);
  EXPECT_EQ(o.status["anomaly_alerts"], "on");
}

TEST(AnomalyAlertGate, DataSetFlowsWithoutHostsAlertAsBefore) {
  auto o = run(AnomalyAlerts::kAuto, false, false);
  EXPECT_EQ(o.sent, 1);
  EXPECT_EQ(o.status["anomaly_alerts"], "on");
}

TEST(AnomalyAlertGate, TheSettingOverridesTheRule) {
  EXPECT_EQ(run(AnomalyAlerts::kOn, false, true).sent, 1);
  auto off = run(AnomalyAlerts::kOff, true, false);
  EXPECT_EQ(off.sent, 0);
  EXPECT_EQ(off.status["anomaly_alerts"], "off");
}

}  // namespace
}  // namespace flowsentry::pipeline
