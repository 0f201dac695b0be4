#include "detect/adwin.h"

#include <cmath>
#include <fstream>
#include <random>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace flowsentry::detect {
namespace {

nlohmann::json load_golden() {
  std::ifstream in(std::string(FLOWSENTRY_SOURCE_DIR) +
                   "/src/detect/tests/data/adwin_river_golden.json");
  if (!in) return {};
  return nlohmann::json::parse(in);
}

AdwinOptions options_from(const nlohmann::json& p) {
  AdwinOptions o;
  o.delta = p.at("delta").get<double>();
  o.clock = p.at("clock").get<int>();
  o.max_buckets = p.at("max_buckets").get<int>();
  o.min_subwindow = p.at("min_window_length").get<int>();
  o.min_window = p.at("grace_period").get<int>();
  return o;
}

// Golden data: scripts/river_golden.py (River's ADWIN on seeded streams). flowsentry must raise
// the same alarms within one clock period and no others; in practice it matches River exactly.
TEST(AdwinTest, RaisesTheSameAlarmsAsRiverOnGoldenStreams) {
  const auto golden = load_golden();
  ASSERT_FALSE(golden.is_null()) << "missing src/detect/tests/data/adwin_river_golden.json";
  ASSERT_GE(golden["cases"].size(), 5u);
  size_t with_detections = 0;
  for (const auto& c : golden["cases"]) {
    const std::string name = c["stream"].get<std::string>();
    SCOPED_TRACE(name + " " + c["params"].dump());
    const auto values = golden["streams"][name]["values"].get<std::vector<double>>();
    const AdwinOptions opt = options_from(c["params"]);
    Adwin adwin(opt);
    std::vector<AdwinChange> changes;
    for (double v : values) {
      if (adwin.update(v)) changes.push_back(*adwin.last_change());
    }
    const auto& expected = c["detections"];
    ASSERT_EQ(changes.size(), expected.size()) << "extra or missing alarms";
    for (size_t i = 0; i < changes.size(); ++i) {
      const auto river_index = expected[i]["index"].get<uint64_t>();
      EXPECT_LE(std::max(changes[i].index, river_index) - std::min(changes[i].index, river_index),
                static_cast<uint64_t>(opt.clock));
      EXPECT_EQ(changes[i].index, river_index);
      EXPECT_EQ(changes[i].width_after, expected[i]["width"].get<uint64_t>());
      EXPECT_NEAR(changes[i].mean_after, expected[i]["mean"].get<double>(), 1e-9);
    }
    const auto& fin = c["final"];
    EXPECT_EQ(adwin.width(), fin["width"].get<uint64_t>());
    EXPECT_NEAR(adwin.mean(), fin["mean"].get<double>(), 1e-9);
    EXPECT_NEAR(adwin.sum_squares(), fin["variance"].get<double>(),
                1e-9 * std::max(1.0, fin["variance"].get<double>()));
    with_detections += expected.empty() ? 0 : 1;
  }
  EXPECT_GE(with_detections, 3u) << "golden data should contain streams with changes";
}

TEST(AdwinTest, ReportsMeansBeforeAndAfterAnAbruptShift) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> before(0.1, 0.05), after(0.8, 0.05);
  Adwin adwin;
  std::optional<AdwinChange> first;
  for (int i = 0; i < 4000 && !first; ++i) {
    if (adwin.update(i < 2000 ? before(rng) : after(rng))) first = adwin.last_change();
  }
  ASSERT_TRUE(first.has_value());
  EXPECT_GE(first->index, 2000u);
  EXPECT_LE(first->index, 2000u + 2 * 32);
  EXPECT_LT(first->mean_before, first->mean_after);
  EXPECT_LT(first->width_after, first->width_before);
  EXPECT_GT(first->mean_after, first->mean_before);
}

TEST(AdwinTest, WidthMeanAndVarianceTrackAStationaryStream) {
  Adwin adwin;
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(adwin.update(i % 2 == 0 ? 0.0 : 1.0));
  EXPECT_EQ(adwin.width(), 1000u);
  EXPECT_DOUBLE_EQ(adwin.mean(), 0.5);
  EXPECT_NEAR(adwin.variance(), 0.25, 1e-12);
}

TEST(AdwinTest, MemoryGrowsLogarithmicallyWithTheWindow) {
  Adwin adwin;
  std::mt19937_64 rng(1);
  std::bernoulli_distribution coin(0.3);
  for (int i = 0; i < 1000; ++i) adwin.update(coin(rng));
  const size_t rows_1k = adwin.bucket_rows();
  for (int i = 0; i < 1000000 - 1000; ++i) adwin.update(coin(rng));
  ASSERT_EQ(adwin.width(), 1000000u);
  // log2(1e6 / 5) ~ 18 rows of at most 6 buckets, against ~8 rows at 1k inputs.
  EXPECT_LE(adwin.bucket_rows(), 20u);
  EXPECT_LE(adwin.bucket_rows(), rows_1k + 11);
  EXPECT_LE(adwin.bucket_count(), 6u * adwin.bucket_rows());
  EXPECT_LT(adwin.memory_bytes(), 4096u);
}

TEST(AdwinTest, KeepsTheNewerSubWindowWhenNotResetting) {
  AdwinOptions opt;
  opt.reset_on_change = false;
  Adwin keep(opt);
  Adwin river;  // resets on the input after a change
  std::mt19937_64 rng(3);
  std::normal_distribution<double> a(0.2, 0.05), b(0.7, 0.05);
  bool changed = false;
  for (int i = 0; i < 3000 && !changed; ++i) {
    const double v = i < 1500 ? a(rng) : b(rng);
    changed = keep.update(v);
    EXPECT_EQ(changed, river.update(v)) << i;  // identical until the first change
  }
  ASSERT_TRUE(changed);
  keep.update(0.7);
  river.update(0.7);
  EXPECT_GT(keep.width(), 1u);
  EXPECT_EQ(river.width(), 1u);
}

TEST(AdwinTest, RejectsOptionsOutOfRange) {
  AdwinOptions o;
  EXPECT_TRUE(o.validate().ok());
  o.delta = 0;
  EXPECT_FALSE(o.validate().ok());
  o = {};
  o.clock = 0;
  EXPECT_FALSE(o.validate().ok());
  o = {};
  o.max_buckets = 1;
  EXPECT_FALSE(o.validate().ok());
}

}  // namespace
}  // namespace flowsentry::detect

#include "detect/score_drift.h"

namespace flowsentry::detect {
namespace {

TEST(ScoreDriftTest, AShiftInScoresRaisesAnAlertWithBothMeans) {
  ScoreDriftDetector d(AdwinOptions{}, [] { return 1e9; });
  std::mt19937_64 rng(5);
  std::normal_distribution<double> low(0.05, 0.02), high(0.5, 0.05);
  std::vector<model::ScoredFlow> batch(3000);
  for (size_t i = 0; i < batch.size(); ++i)
    batch[i].verdict.score = i < 1500 ? low(rng) : high(rng);
  const auto alerts = d.observe(batch);
  ASSERT_GE(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].key(), "score_drift:up");
  EXPECT_LT(alerts[0].payload["mean_before"].get<double>(), 0.1);
  EXPECT_GT(alerts[0].payload["mean_after"].get<double>(),
            alerts[0].payload["mean_before"].get<double>());
  EXPECT_DOUBLE_EQ(alerts[0].time, 1e9);
}

}  // namespace
}  // namespace flowsentry::detect
