#include "detect/mix_drift.h"

#include <gtest/gtest.h>

namespace flowsentry::detect {
namespace {

model::ScoredFlow flow_at(double t, std::string proto, std::string state = "CON",
                          std::string service = "-") {
  model::ScoredFlow f;
  f.flow.stime = t;
  f.flow.proto = std::move(proto);
  f.flow.state = std::move(state);
  f.flow.service = std::move(service);
  return f;
}

// n flows at time t: `udp_share` of every 100 consecutive flows are udp, the rest tcp.
std::vector<model::ScoredFlow> mix(size_t n, double udp_share, double t = 1000) {
  std::vector<model::ScoredFlow> out;
  const size_t udp = static_cast<size_t>(100 * udp_share + 0.5);
  for (size_t i = 0; i < n; ++i) out.push_back(flow_at(t, i % 100 < udp ? "udp" : "tcp"));
  return out;
}

MixReference tcp_heavy_reference() {
  return {{"proto", {{"tcp", 80}, {"udp", 20}}}, {"state", {{"CON", 1}}}, {"service", {{"-", 1}}}};
}

MixDriftOptions count_windows(uint64_t flows, int debounce) {
  MixDriftOptions o;
  o.window_flows = flows;
  o.window_seconds = 0;
  o.min_count = flows / 2;
  o.debounce = debounce;
  o.threshold = 0.05;
  return o;
}

size_t count_alerts(const std::vector<MixWindow>& ws, const std::string& type) {
  size_t n = 0;
  for (const auto& w : ws) {
    for (const auto& a : w.alerts) n += a.type == type;
  }
  return n;
}

TEST(MixDriftTest, TrafficLikeTheReferenceRaisesNothing) {
  MixDriftDetector d(count_windows(100, 1), tcp_heavy_reference());
  const auto batch = mix(1000, 0.2);
  const auto windows = d.observe(batch);
  ASSERT_EQ(windows.size(), 10u);
  for (const auto& w : windows) {
    EXPECT_TRUE(w.judged);
    EXPECT_TRUE(w.alerts.empty());
    for (const auto& m : w.measurements) EXPECT_NEAR(m.value, 0.0, 1e-12) << m.field;
  }
}

TEST(MixDriftTest, DriftIsRaisedOnceAfterKConsecutiveWindows) {
  auto opt = count_windows(100, 3);
  opt.compare_previous = false;
  MixDriftDetector d(opt, tcp_heavy_reference());
  std::vector<MixWindow> ws;
  for (int i = 0; i < 2; ++i) {
    auto w = d.observe(mix(100, 0.8));
    ws.insert(ws.end(), w.begin(), w.end());
  }
  EXPECT_EQ(count_alerts(ws, "mix_drift"), 0u) << "two windows over are not enough";
  auto third = d.observe(mix(100, 0.8));
  ASSERT_EQ(third.size(), 1u);
  ASSERT_EQ(count_alerts(third, "mix_drift"), 1u);
  const auto& a = third[0].alerts[0];
  EXPECT_EQ(a.key(), "mix_drift:proto:reference");
  EXPECT_EQ(a.payload["windows"], 3);
  EXPECT_EQ(a.payload["measure"], "js");
  EXPECT_GT(a.payload["value"].get<double>(), 0.05);
  ASSERT_FALSE(a.payload["top_categories"].empty());
  // udp and tcp move by the same 60 points; both are named, with their shares.
  const auto& top = a.payload["top_categories"][0];
  EXPECT_TRUE(top["category"] == "udp" || top["category"] == "tcp");
  EXPECT_EQ(a.payload["top_categories"].size(), 2u);

  EXPECT_EQ(count_alerts(d.observe(mix(100, 0.8)), "mix_drift"), 0u) << "still the same run";
  EXPECT_EQ(count_alerts(d.observe(mix(100, 0.2)), "mix_drift"), 0u);  // back to normal
  for (int i = 0; i < 2; ++i) EXPECT_EQ(count_alerts(d.observe(mix(100, 0.8)), "mix_drift"), 0u);
  EXPECT_EQ(count_alerts(d.observe(mix(100, 0.8)), "mix_drift"), 1u) << "a new run alerts again";
}

TEST(MixDriftTest, SmallWindowsGetNoVerdict) {
  MixDriftOptions o;
  o.window_flows = 0;
  o.window_seconds = 10;
  o.min_count = 50;
  o.debounce = 1;
  MixDriftDetector d(o, tcp_heavy_reference());
  EXPECT_TRUE(d.observe(mix(20, 1.0, 1000)).empty());
  auto closed = d.observe(mix(1, 1.0, 1011));  // past the 10 s window: the first one closes
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_FALSE(closed[0].judged);
  EXPECT_EQ(closed[0].flows, 20u);
  EXPECT_TRUE(closed[0].measurements.empty());
  EXPECT_TRUE(closed[0].alerts.empty());
}

TEST(MixDriftTest, TimeWindowsCloseOnEventTime) {
  MixDriftOptions o;
  o.window_flows = 0;
  o.window_seconds = 60;
  o.min_count = 10;
  o.debounce = 1;
  MixDriftDetector d(o, tcp_heavy_reference());
  EXPECT_TRUE(d.observe(mix(100, 0.2, 1000)).empty());
  EXPECT_TRUE(d.observe(mix(100, 0.2, 1059)).empty());
  auto closed = d.observe(mix(100, 0.9, 1060));
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].flows, 200u);
  EXPECT_DOUBLE_EQ(closed[0].start, 1000);
  EXPECT_DOUBLE_EQ(closed[0].end, 1059);
  EXPECT_TRUE(closed[0].alerts.empty());
  closed = d.advance(1121);  // quiet stream: wall time closes the udp-heavy window
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(count_alerts(closed, "mix_drift"), 2u);  // against the reference and the previous
}

TEST(MixDriftTest, NewCategoriesAreASeparateAlertRaisedOnce) {
  MixDriftDetector d(count_windows(100, 5), tcp_heavy_reference());
  auto batch = mix(90, 0.2);
  for (int i = 0; i < 10; ++i) batch.push_back(flow_at(1000, "sctp"));
  auto closed = d.observe(batch);
  ASSERT_EQ(closed.size(), 1u);
  ASSERT_EQ(count_alerts(closed, "new_category"), 1u);
  const auto& a = closed[0].alerts[0];
  EXPECT_EQ(a.payload["field"], "proto");
  EXPECT_EQ(a.payload["categories"][0]["category"], "sctp");
  EXPECT_EQ(a.payload["categories"][0]["count"], 10);
  EXPECT_EQ(count_alerts(d.observe(batch), "new_category"), 0u) << "reported already";
}

TEST(MixDriftAdversarialTest, RareValuesSeenInTrainingAreNotNew) {
  // The reference folds rare training values into "other"; the vocabulary still knows them.
  auto reference = tcp_heavy_reference();
  reference["proto"]["other"] = 3;
  MixDriftDetector d(count_windows(100, 5), reference);
  d.set_known({{"proto", {"il", "pup"}}});
  auto batch = mix(90, 0.2);
  for (int i = 0; i < 5; ++i) batch.push_back(flow_at(1000, "il"));
  for (int i = 0; i < 5; ++i) batch.push_back(flow_at(1000, "fc"));
  auto closed = d.observe(batch);
  ASSERT_EQ(count_alerts(closed, "new_category"), 1u);
  const auto& a = closed[0].alerts[0];
  ASSERT_EQ(a.payload["categories"].size(), 1u);
  EXPECT_EQ(a.payload["categories"][0]["category"], "fc");  // never seen; "il" was
}

TEST(MixDriftAdversarialTest, ReportedNewValuesAreBoundedAndNeverForgotten) {
  MixDriftDetector d(count_windows(100, 5), tcp_heavy_reference());
  size_t reported = 0;
  int next = 0;
  // Hostile traffic inventing a category per flow: past the bound it is counted, not reported.
  while (next < static_cast<int>(MixDriftDetector::kMaxReportedNew) + 500) {
    std::vector<model::ScoredFlow> batch;
    for (int i = 0; i < 100; ++i) batch.push_back(flow_at(1000, "p" + std::to_string(next++)));
    for (const auto& w : d.observe(batch)) {
      for (const auto& a : w.alerts) {
        if (a.type != "new_category") continue;
        reported += a.payload["categories"].size() + a.payload["more_categories"].get<size_t>();
        EXPECT_LE(a.payload["categories"].size(), 20u);
      }
    }
  }
  EXPECT_EQ(reported, MixDriftDetector::kMaxReportedNew);
  EXPECT_EQ(d.unreported_new(), 500u);
  // The first values stay reported: showing them again raises nothing.
  std::vector<model::ScoredFlow> again;
  for (int i = 0; i < 100; ++i) again.push_back(flow_at(1000, "p" + std::to_string(i)));
  EXPECT_EQ(count_alerts(d.observe(again), "new_category"), 0u);
}

TEST(MixDriftTest, ComparesWithThePreviousWindowWithoutAReference) {
  MixDriftDetector d(count_windows(100, 1));
  EXPECT_EQ(count_alerts(d.observe(mix(100, 0.1)), "mix_drift"), 0u);
  EXPECT_EQ(count_alerts(d.observe(mix(100, 0.1)), "mix_drift"), 0u);
  auto closed = d.observe(mix(100, 0.9));
  ASSERT_EQ(count_alerts(closed, "mix_drift"), 1u);
  EXPECT_EQ(closed[0].alerts[0].key(), "mix_drift:proto:previous");
}

TEST(MixDriftTest, FlowsWithoutStimeUseTheInjectedClock) {
  MixDriftOptions o;
  o.window_flows = 0;
  o.window_seconds = 5;
  o.min_count = 1;
  double now = 500;
  MixDriftDetector d(o, {}, [&] { return now; });
  std::vector<model::ScoredFlow> b(3);
  for (auto& f : b) f.flow.proto = "tcp";
  EXPECT_TRUE(d.observe(b).empty());
  now = 506;
  auto closed = d.observe(b);
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_DOUBLE_EQ(closed[0].start, 500);
  EXPECT_EQ(closed[0].flows, 3u);
}

TEST(MixDriftTest, OptionsNeedAWayToCloseWindows) {
  MixDriftOptions o;
  EXPECT_TRUE(o.validate().ok());
  o.window_flows = 0;
  o.window_seconds = 0;
  EXPECT_FALSE(o.validate().ok());
}

}  // namespace
}  // namespace flowsentry::detect
