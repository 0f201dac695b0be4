// Beaconing on generated flow streams spanning hours: clocks with and without jitter alert,
// random (Poisson) traffic and one long session do not. Seeds are pinned.
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "detect/behaviour.h"

namespace flowsentry::detect {
namespace {

constexpr double kT0 = 1700000000;

flow::FlowRecord connection(double t, int64_t sport, const std::string& dst = "203.0.113.7",
                            int64_t dport = 443) {
  flow::FlowRecord f;
  f.stime = t;
  f.ltime = t + 0.2;
  f.srcip = "10.0.0.5";
  f.sport = sport;
  f.dstip = dst;
  f.dsport = dport;
  f.proto = "tcp";
  f.state = "FIN";
  f.service = "ssl";
  f[flow::kSpkts] = 8;
  f[flow::kDpkts] = 7;
  f[flow::kSbytes] = 900;
  f[flow::kDbytes] = 4000;
  f[flow::kDur] = 0.2;
  return f;
}

// Feeds connections at the given start times; returns the beaconing alerts.
std::vector<Alert> run(const std::vector<double>& starts, BehaviourOptions o = {}) {
  BehaviourDetectors d(o);
  std::vector<Alert> out, beacons;
  int64_t sport = 30000;
  for (double t : starts) d.observe(connection(t, ++sport), out);
  for (auto& a : out) {
    if (a.kind == "beaconing") beacons.push_back(a);
  }
  return beacons;
}

std::vector<double> clock_every(double interval, double hours, double jitter, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-jitter, jitter);
  std::vector<double> out;
  for (double t = 0; t < hours * 3600; t += interval) out.push_back(kT0 + t + u(rng));
  return out;
}

TEST(BeaconTest, ExactClockOverHoursAlertsOnce) {
  auto alerts = run(clock_every(60, 3, 0, 1));
  ASSERT_EQ(alerts.size(), 1u);
  const auto& e = alerts[0].payload["evidence"];
  EXPECT_EQ(alerts[0].context, "10.0.0.5>203.0.113.7:443/tcp");
  EXPECT_NEAR(e["median_interval_s"].get<double>(), 60, 1e-6);
  EXPECT_NEAR(e["score"].get<double>(), 1, 1e-9);
  EXPECT_EQ(e["connections"], 20);
}

TEST(BeaconTest, JitteredClockStillAlerts) {
  for (uint64_t seed : {1, 2, 3, 4, 5}) {
    auto alerts = run(clock_every(300, 6, 30, seed));  // 5 min +- 30 s
    ASSERT_EQ(alerts.size(), 1u) << "seed " << seed;
    EXPECT_GE(alerts[0].payload["evidence"]["score"].get<double>(), 0.8);
  }
}

TEST(BeaconTest, CurlEveryFewSecondsForMinutesAlerts) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> gap(2, 5);  // curl; sleep $((2 + RANDOM % 4))
  std::vector<double> starts;
  for (double t = kT0; t < kT0 + 180; t += gap(rng)) starts.push_back(t);
  EXPECT_EQ(run(starts).size(), 1u);
}

TEST(BeaconTest, RandomTrafficOverHoursDoesNotAlert) {
  for (uint64_t seed : {11, 12, 13, 14, 15, 16, 17, 18}) {
    std::mt19937_64 rng(seed);
    std::exponential_distribution<double> gap(1.0 / 90);  // Poisson, mean 90 s
    std::vector<double> starts;
    for (double t = kT0; t < kT0 + 4 * 3600; t += gap(rng)) starts.push_back(t);
    EXPECT_TRUE(run(starts).empty()) << "seed " << seed;
  }
}

TEST(BeaconTest, HumanBrowsingBurstsDoNotAlert) {
  std::mt19937_64 rng(21);
  std::exponential_distribution<double> think(1.0 / 120);
  std::uniform_int_distribution<int> page(3, 8);
  std::vector<double> starts;
  for (double t = kT0; t < kT0 + 3 * 3600; t += think(rng)) {
    int n = page(rng);  // a page opens a few connections at once
    for (int i = 0; i < n; ++i) starts.push_back(t + i * 0.01);
  }
  EXPECT_TRUE(run(starts).empty());
}

TEST(BeaconTest, StatusRecordsOfOneLongSessionAreNotConnections) {
  BehaviourDetectors d({});
  std::vector<Alert> out;
  for (int i = 0; i < 180; ++i) d.observe(connection(kT0 + i * 60, 50022, "10.0.0.2", 22), out);
  EXPECT_TRUE(out.empty());
}

TEST(BeaconTest, IgnoredPortsAreNotScored) {
  BehaviourDetectors d({});
  std::vector<Alert> out;
  for (int i = 0; i < 100; ++i)
    d.observe(connection(kT0 + i * 10, 30000 + i, "10.0.0.53", 53), out);
  EXPECT_TRUE(out.empty());
}

TEST(BeaconTest, ScoreOfAPerfectClockIsOneAndOfFewIntervalsZero) {
  EXPECT_DOUBLE_EQ(beacon_score({0, 10, 20, 30, 40, 50}).score, 1);
  EXPECT_DOUBLE_EQ(beacon_score({0, 10, 20}).score, 0);
  EXPECT_DOUBLE_EQ(beacon_score({5, 5, 5, 5, 5}).score, 0);  // simultaneous: not a clock
}

}  // namespace
}  // namespace flowsentry::detect
