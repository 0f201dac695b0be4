// Suppression rules end to end: a rule stored through a real store (SQLite in memory) drops the
// matching alerts before the notifiers (a counting fake) and the alert table, and counts them.
#include <atomic>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "common/clock.h"
#include "common/metrics.h"
#include "detect/dispatcher.h"
#include "pipeline/detection.h"
#include "pipeline/testing/counting_notifier.h"

namespace flowsentry::pipeline {
namespace {

using testing::CountingNotifier;

// Ten anomalies of one source in a minute: one burst alert naming that source.
std::vector<model::ScoredFlow> burst(const std::string& src, const std::string& proto) {
  std::vector<model::ScoredFlow> batch;
  for (int i = 0; i < 10; ++i) {
    model::ScoredFlow f;
    f.flow.stime = wall_seconds() - 30 + i;
    f.flow.proto = proto;
    f.flow.state = "FIN";
    f.flow.srcip = src;
    f.flow.dstip = "10.0.0.9";
    f.verdict.label = 1;
    f.verdict.score = 0.9;
    batch.push_back(f);
  }
  return batch;
}

double suppressed_count(const std::string& kind) {
  return MetricsRegistry::global()
      .counter("flowsentry_alerts_suppressed_total", "", {{"kind", kind}})
      .value();
}

class SuppressionStageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = store::open_store(":memory:");
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    store_ = std::move(*s);
    std::vector<std::unique_ptr<detect::Notifier>> notifiers;
    notifiers.push_back(std::make_unique<CountingNotifier>(sent_));
    detect::DispatcherOptions dispatch;
    dispatch.rate_per_min = 0;
    dispatch.cooldown_s = 0;
    dispatcher_ = std::make_unique<detect::Dispatcher>(dispatch, std::move(notifiers));
    options_.drift = false;
    options_.anomaly_alerts = AnomalyAlerts::kOn;
    // One burst episode per source, so each source's ten anomalies raise their own alert.
    options_.burst.key = detect::BurstKey::kSource;
  }
  int64_t add_rule(const std::string& src, double expires) {
    store::Suppression r;
    r.src = src;
    r.analyst = "ana";
    r.expires = expires;
    auto added = store_->add_suppression(r);
    EXPECT_TRUE(added.ok());
    return added.ok() ? added->id : 0;
  }
  int sent() {
    EXPECT_TRUE(dispatcher_->flush(std::chrono::seconds(5)));
    return sent_.load();
  }
  size_t stored_alerts() {
    auto a = store_->list_alerts(0, 1e12, 100);
    return a.ok() ? a->size() : 0;
  }

  std::unique_ptr<store::Store> store_;
  std::atomic<int> sent_{0};
  std::unique_ptr<detect::Dispatcher> dispatcher_;
  DetectionOptions options_;
};

TEST_F(SuppressionStageTest, StoredRuleDropsMatchingAlertsAndCountsThem) {
  add_rule("10.0.0.0/24", wall_seconds() + 3600);
  const double before = suppressed_count("burst");
  {
    DetectionStage stage(options_, {}, *dispatcher_, store_.get());
    stage.observe(burst("10.0.0.5", "tcp"));
    EXPECT_EQ(sent(), 0);
    EXPECT_EQ(stage.status()["alerts_suppressed"], 1);
    EXPECT_EQ(stage.status()["suppression_rules"], 1);
    stage.observe(burst("10.1.0.5", "udp"));  // outside the rule
    EXPECT_EQ(sent(), 1);
  }
  EXPECT_EQ(suppressed_count("burst") - before, 1);
  EXPECT_EQ(stored_alerts(), 1u);  // only the alert that went out is on the dashboard
}

TEST_F(SuppressionStageTest, DeletedRuleStopsSuppressingAfterReload) {
  const int64_t id = add_rule("10.0.0.0/24", wall_seconds() + 3600);
  DetectionStage stage(options_, {}, *dispatcher_, store_.get());
  stage.observe(burst("10.0.0.5", "tcp"));
  EXPECT_EQ(sent(), 0);
  ASSERT_TRUE(store_->delete_suppression(id).ok());
  stage.observe(burst("10.0.0.6", "tcp"));  // not reloaded yet: the rule still holds
  EXPECT_EQ(sent(), 0);
  stage.reload_suppressions(wall_seconds());
  stage.observe(burst("10.0.0.7", "tcp"));
  EXPECT_EQ(sent(), 1);
}

TEST_F(SuppressionStageTest, ExpiredRuleIsNotLoaded) {
  add_rule("10.0.0.5", wall_seconds() - 1);
  DetectionStage stage(options_, {}, *dispatcher_, store_.get());
  EXPECT_EQ(stage.status()["suppression_rules"], 0);
  stage.observe(burst("10.0.0.5", "tcp"));
  EXPECT_EQ(sent(), 1);
}

TEST_F(SuppressionStageTest, ReloadKeepsAtMostTheNewestMaxRules) {
  options_.suppressions_max = 2;
  for (int i = 0; i < 5; ++i) add_rule("10.0.0." + std::to_string(i + 1), wall_seconds() + 3600);
  DetectionStage stage(options_, {}, *dispatcher_, store_.get());
  EXPECT_EQ(stage.status()["suppression_rules"], 2);
  stage.observe(burst("10.0.0.5", "tcp"));  // the newest rule
  EXPECT_EQ(sent(), 0);
  stage.observe(burst("10.0.0.1", "udp"));  // the oldest, not loaded
  EXPECT_EQ(sent(), 1);
}

}  // namespace
}  // namespace flowsentry::pipeline
