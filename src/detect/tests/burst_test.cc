#include "detect/burst.h"

#include <fmt/format.h>
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

// A scan-like burst: anomalies from one source to several targets and many ports.
model::ScoredFlow from(double t, const std::string& src, const std::string& dst, int64_t port) {
  auto f = anomaly(t, 0.9, "tcp", "-", "INT");
  f.flow.srcip = src;
  f.flow.dstip = dst;
  f.flow.sport = 40000;
  f.flow.dsport = port;
  return f;
}

TEST(BurstTest, AScanFromOneSourceNamesTheSourceAndItsTargets) {
  BurstDetector d(BurstOptions{});
  std::vector<Alert> alerts;
  for (int i = 0; i < 12; ++i) {
    const auto f = from(kT0 + 5 * i, "10.0.0.5", "10.0.1." + std::to_string(i % 3), 20 + i);
    if (auto a = d.hit(f, kT0 + 5 * i)) alerts.push_back(*a);
  }
  // One stray anomaly from elsewhere does not change who is behind the burst.
  if (auto a = d.hit(from(kT0 + 56, "192.168.9.9", "10.0.1.0", 80), kT0 + 56)) alerts.push_back(*a);
  ASSERT_EQ(alerts.size(), 1u);  // raised at the 10th hit
  const auto j = alerts[0].to_json();
  EXPECT_EQ(alerts[0].summary.rfind("10.0.0.5 → 3 hosts, 10 ports in 45 s: 10 anomalies", 0), 0u)
      << alerts[0].summary;
  EXPECT_EQ(j["hosts"]["src"], "10.0.0.5");
  EXPECT_FALSE(j["hosts"].contains("dst"));
  EXPECT_EQ(j["sources"], 1);
  EXPECT_EQ(j["destinations"], 3);
  EXPECT_EQ(j["ports"], 10);
  EXPECT_EQ(j["top_sources"][0]["ip"], "10.0.0.5");
  EXPECT_EQ(j["top_sources"][0]["hits"], 10);
  EXPECT_EQ(j["top_destinations"].size(), 3u);
  EXPECT_EQ(j["example_flows"][0]["srcip"], "10.0.0.5");
  EXPECT_EQ(j["example_flows"][0]["sport"], 40000);
  EXPECT_TRUE(j["example_flows"][0].contains("dstip"));
  EXPECT_TRUE(j["example_flows"][0].contains("dsport"));
  EXPECT_EQ(alert_hosts(alerts[0]), std::vector<std::string>{"10.0.0.5"});
}

TEST(BurstTest, ManySourcesOnOneTargetNameTheTarget) {
  BurstDetector d(BurstOptions{});
  std::optional<Alert> alert;
  for (int i = 0; i < 10 && !alert; ++i) {
    alert = d.hit(from(kT0 + i, "172.16.0." + std::to_string(i), "10.9.9.9", 443), kT0 + i);
  }
  ASSERT_TRUE(alert);
  EXPECT_EQ(alert->summary.rfind("10 sources → 10.9.9.9, port 443 in 9 s", 0), 0u)
      << alert->summary;
  EXPECT_EQ(alert->payload["hosts"]["dst"], "10.9.9.9");
  EXPECT_FALSE(alert->payload["hosts"].contains("src"));
}

TEST(BurstTest, RowsWithoutAddressesKeepTheContextSummary) {
  BurstDetector d(BurstOptions{});
  std::vector<Alert> alerts;
  for (const auto& f : spread(10, kT0, 1)) {
    if (auto a = d.hit(f, *f.flow.stime)) alerts.push_back(*a);
  }
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].summary.rfind("10 anomalies in 5 min, mostly tcp/http/FIN", 0), 0u);
  EXPECT_FALSE(alerts[0].payload.contains("hosts"));
  EXPECT_TRUE(alert_hosts(alerts[0]).empty());
}

TEST(KeyedBurstTest, EachSourceIsItsOwnEpisodeWithItsOwnKey) {
  BurstOptions o;
  o.key = BurstKey::kSource;
  KeyedBurstDetector d(o);
  std::vector<Alert> alerts;
  // Two scanners interleaved, 8 anomalies each: 16 in the window, but neither reaches 10.
  for (int i = 0; i < 8; ++i) {
    for (const char* src : {"10.0.0.5", "10.0.0.6"}) {
      if (auto a = d.hit(from(kT0 + i, src, "10.0.1.1", 100 + i), kT0 + i)) alerts.push_back(*a);
    }
  }
  EXPECT_TRUE(alerts.empty());
  for (int i = 8; i < 12; ++i) {
    if (auto a = d.hit(from(kT0 + i, "10.0.0.6", "10.0.1.1", 100 + i), kT0 + i)) {
      alerts.push_back(*a);
    }
  }
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].key(), "burst:10.0.0.6");
  EXPECT_EQ(alerts[0].summary.rfind("10.0.0.6 → 10.0.1.1, 10 ports", 0), 0u) << alerts[0].summary;
  EXPECT_EQ(d.hosts(), 2u);
}

TEST(KeyedBurstTest, GlobalKeyBehavesLikeTheGlobalRule) {
  KeyedBurstDetector d(BurstOptions{});
  std::vector<Alert> alerts;
  for (int i = 0; i < 10; ++i) {
    if (auto a = d.hit(from(kT0 + i, "10.0.0." + std::to_string(i), "10.0.1.1", 80), kT0 + i)) {
      alerts.push_back(*a);
    }
  }
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].key(), "burst:tcp/-/INT");
  EXPECT_EQ(d.hosts(), 0u);
}

TEST(KeyedBurstAdversarialTest, SpoofedSourcesStayWithinMaxHosts) {
  BurstOptions o;
  o.key = BurstKey::kSource;
  o.max_keys = 100;
  KeyedBurstDetector d(o);
  for (int i = 0; i < 5000; ++i) {
    const std::string src = fmt::format("10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255);
    EXPECT_FALSE(d.hit(from(kT0 + i * 0.001, src, "10.9.9.9", 80), kT0 + i * 0.001));
  }
  EXPECT_EQ(d.hosts(), 100u);
  EXPECT_EQ(d.evictions(), 4900u);
  // Hosts idle for a window and a quiet period are forgotten.
  d.advance(kT0 + 3600);
  EXPECT_EQ(d.hosts(), 0u);
}

TEST(BurstTest, ParseBurstKey) {
  EXPECT_EQ(*parse_burst_key("source"), BurstKey::kSource);
  EXPECT_EQ(*parse_burst_key("destination"), BurstKey::kDestination);
  EXPECT_EQ(*parse_burst_key("global"), BurstKey::kGlobal);
  EXPECT_FALSE(parse_burst_key("src").ok());
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
