#include "detect/options.h"

#include <gtest/gtest.h>

namespace flowsentry::detect {
namespace {

TEST(OptionsTest, DefaultsMatchTheIssue) {
  Config c;
  const auto a = adwin_options(c);
  EXPECT_DOUBLE_EQ(a.delta, 0.002);
  EXPECT_EQ(a.clock, 32);
  EXPECT_TRUE(a.validate().ok());
  const auto b = burst_options(c);
  EXPECT_EQ(b.min_hits, 10u);
  EXPECT_DOUBLE_EQ(b.window_min, 5);
  EXPECT_FALSE(b.rate_mode);
  EXPECT_TRUE(b.validate().ok());
  EXPECT_FALSE(single_flow_options(c).enabled);
  EXPECT_TRUE(mix_drift_options(c).validate().ok());
  EXPECT_DOUBLE_EQ(dispatcher_options(c).cooldown_s, 600);
}

TEST(OptionsTest, NotifiersFollowTheConfiguredUrls) {
  Config c;
  auto none = notifiers_from_config(c);
  ASSERT_EQ(none.size(), 1u);
  EXPECT_EQ(none[0]->name(), "log");
  ASSERT_TRUE(c.set("alert.slack_webhook_url", "http://127.0.0.1:9/slack").ok());
  ASSERT_TRUE(c.set("alert.webhook_url", "http://127.0.0.1:9/hook").ok());
  auto both = notifiers_from_config(c);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_EQ(both[0]->name(), "slack");
  EXPECT_EQ(both[1]->name(), "webhook");
  EXPECT_EQ(notifiers_from_config(c, true).size(), 3u);
}

TEST(OptionsTest, SettingsOverrideTheDefaults) {
  Config c;
  ASSERT_TRUE(c.set("alert.burst_min_hits", "25").ok());
  ASSERT_TRUE(c.set("detect.adwin_clock", "1").ok());
  ASSERT_TRUE(c.set("detect.mix_debounce", "5").ok());
  EXPECT_EQ(burst_options(c).min_hits, 25u);
  EXPECT_EQ(adwin_options(c).clock, 1);
  EXPECT_EQ(mix_drift_options(c).debounce, 5);
}

}  // namespace
}  // namespace flowsentry::detect
