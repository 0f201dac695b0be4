#include "detect/burst.h"

#include <gtest/gtest.h>

namespace flowsentry::detect {
namespace {

constexpr double kT0 = 1'700'000'000;  // 2023-11-14T22:13:20Z

model::ScoredFlow anomaly(double t, double score = 0.9, std::string proto = "tcp",
                          std::string service = "http", std::string state = "FIN", int64_t id = 0) {
  model::ScoredFlow f;
  f.flow.stime = t;
  f.flow.proto = std::move(proto);
  f.flow.service = std::move(service);
  f.flow.state = std::move(state);
  f.flow.id = id;
  f.verdict.score = score;
  f.verdict.label = 1;
  f.verdict.top_features = {{"sttl", 254, 1.5}};
  return f;
}

// `n` anomalies spread evenly over `minutes` starting at t.
std::vector<model::ScoredFlow> spread(size_t n, double t, double minutes) {
  std::vector<model::ScoredFlow> v;
  for (size_t i = 0; i < n; ++i) v.push_back(anomaly(t + 60 * minutes * i / n));
  return v;
}

TEST(BurstTest, TenAnomaliesInFiveMinutesRaiseOneAlertWithThePayload) {
  BurstDetector d(BurstOptions{});
  std::vector<model::ScoredFlow> b;
  for (int i = 0; i < 9; ++i)
    b.push_back(anomaly(kT0 + 20 * i, 0.8 + 0.01 * i, "tcp", "http", "FIN", i));
  EXPECT_TRUE(d.observe(b).empty());
  const auto alerts = d.observe(std::vector{anomaly(kT0 + 200, 0.99, "udp", "dns", "INT", 99)});
  ASSERT_EQ(alerts.size(), 1u);
  const auto& a = alerts[0];
  EXPECT_EQ(a.type, "burst");
  EXPECT_EQ(a.key(), "burst:tcp/http/FIN");
  const auto j = a.to_json();
  EXPECT_EQ(j["type"], "burst");
  EXPECT_EQ(j["hits_in_window"], 10);
  EXPECT_EQ(j["window_min"], 5.0);
  EXPECT_EQ(j["threshold"], 10);
  EXPECT_EQ(j["top_context"]["proto"], "tcp");
  EXPECT_EQ(j["top_context"]["service"], "http");
  EXPECT_EQ(j["top_context"]["state"], "FIN");
  EXPECT_EQ(j["first_seen"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(j["last_seen"], "2023-11-14T22:16:40Z");
  EXPECT_DOUBLE_EQ(j["score_max"].get<double>(), 0.99);
  ASSERT_EQ(j["example_flows"].size(), 3u);
  EXPECT_EQ(j["example_flows"][0]["id"], 99);  // highest score first
  EXPECT_EQ(j["example_flows"][1]["id"], 8);
  EXPECT_EQ(j["example_flows"][0]["top_features"][0]["feature"], "sttl");
}

TEST(BurstTest, AnomaliesSpreadThinlyNeverBurst) {
  BurstDetector d(BurstOptions{});
  EXPECT_TRUE(d.observe(spread(60, kT0, 60)).empty());  // one a minute for an hour
  EXPECT_EQ(d.episodes(), 0u);
}

TEST(BurstTest, OneAlertPerEpisodeAndANewOneAfterAQuietPeriod) {
  BurstDetector d(BurstOptions{});
  EXPECT_EQ(d.observe(spread(300, kT0, 30)).size(), 1u);  // ten a minute for 30 minutes
  EXPECT_TRUE(d.in_episode());
  d.advance(kT0 + 30 * 60 + 4 * 60);
  EXPECT_TRUE(d.in_episode()) << "window still full: not quiet yet";
  d.advance(kT0 + 30 * 60 + 11 * 60);
  EXPECT_FALSE(d.in_episode());
  EXPECT_EQ(d.observe(spread(20, kT0 + 3600, 1)).size(), 1u);
  EXPECT_EQ(d.episodes(), 2u);
}

TEST(BurstTest, NormalFlowsAreNotHits) {
  BurstDetector d(BurstOptions{});
  auto b = spread(50, kT0, 1);
  for (auto& f : b) f.verdict.label = 0;
  EXPECT_TRUE(d.observe(b).empty());
  EXPECT_EQ(d.hits_in_window(), 0u);
}

TEST(BurstTest, FlowsWithoutStimeUseTheInjectedClock) {
  double now = kT0;
  BurstDetector d(BurstOptions{}, [&] { return now; });
  std::vector<model::ScoredFlow> b;
  for (int i = 0; i < 5; ++i) {
    b.push_back(anomaly(0));
    b.back().flow.stime.reset();
  }
  EXPECT_TRUE(d.observe(b).empty());
  now += 6 * 60;  // the first five left the window
  EXPECT_TRUE(d.observe(b).empty());
  EXPECT_EQ(d.hits_in_window(), 5u);
  EXPECT_EQ(d.observe(b).size(), 1u);
}

TEST(BurstAdversarialTest, FarFutureFlowsDoNotHoldAnEpisodeOpen) {
  double now = kT0;
  BurstDetector d(BurstOptions{}, [&] { return now; });
  std::vector<model::ScoredFlow> future;
  for (int i = 0; i < 10; ++i) future.push_back(anomaly(kT0 + 1e8 + i));  // three years ahead
  ASSERT_EQ(d.observe(future).size(), 1u);
  // Eleven minutes on, the window and the quiet time have passed on the wall clock: the
  // episode is over and a new burst alerts again. With the flows' own times it would last
  // until three years from now.
  now += 11 * 60;
  d.advance(now);
  EXPECT_EQ(d.hits_in_window(), 0u);
  EXPECT_EQ(d.observe(spread(10, now - 60, 1)).size(), 1u);
}

TEST(BurstTest, RateModeIgnoresASteadyBackgroundButCatchesASpike) {
  BurstOptions o;
  o.rate_mode = true;
  o.rate_factor = 3;
  o.rate_min_hits = 20;
  BurstDetector d(o);
  // 100 anomalies per 5 minutes for an hour: far above N = 10, but that is the baseline.
  EXPECT_TRUE(d.observe(spread(1200, kT0, 60)).empty());
  ASSERT_TRUE(d.baseline().has_value());
  EXPECT_NEAR(*d.baseline(), 100, 10);  // the first whole-window bucket is partly empty
  // Then 500 in two minutes on top of the background.
  const auto alerts = d.observe(spread(500, kT0 + 3600, 2));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].payload["mode"], "rate");
  const double base = alerts[0].payload["baseline_per_window"].get<double>();
  EXPECT_NEAR(base, 100, 10);
  EXPECT_GT(alerts[0].payload["hits_in_window"].get<double>(), 3 * base);
}

TEST(BurstTest, RateModeWaitsForABaseline) {
  BurstOptions o;
  o.rate_mode = true;
  BurstDetector d(o);
  EXPECT_TRUE(d.observe(spread(100, kT0, 1)).empty());
}

TEST(SingleFlowTest, OffByDefaultAndKeyedByContextWhenOn) {
  const auto f = anomaly(kT0, 0.995);
  EXPECT_FALSE(single_flow_alert(SingleFlowOptions{}, f, kT0).has_value());
  SingleFlowOptions on{true, 0.99};
  const auto a = single_flow_alert(on, f, kT0);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->key(), "anomaly:tcp/http/FIN");
  EXPECT_EQ(a->payload["flow"]["id"], 0);
  EXPECT_FALSE(single_flow_alert(on, anomaly(kT0, 0.98), kT0).has_value());
}

}  // namespace
}  // namespace flowsentry::detect
