#include "model/scorer_handle.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "model/tests/synthetic.h"

namespace flowsentry::model {
namespace {

std::shared_ptr<const Scorer> tiny_scorer(uint64_t seed) {
  auto a = train(testing::synthetic_data(300, seed), testing::fast_options());
  if (!a.ok()) return nullptr;
  (*a)->meta.model_version = "xgb-seed" + std::to_string(seed);  // save_artifact would set it
  return std::make_shared<const Scorer>(std::move(*a), ScorerOptions{.nthread = 1});
}

TEST(ScorerHandleTest, SetReturnsTheReplacedModel) {
  auto a = tiny_scorer(1);
  auto b = tiny_scorer(2);
  ASSERT_TRUE(a && b);
  ScorerHandle h(a);
  EXPECT_EQ(h.get(), a);
  EXPECT_EQ(h.set(b), a);
  EXPECT_EQ(h.get(), b);
  EXPECT_EQ(h.shadow(), nullptr);
}

TEST(ScorerHandleTest, ABatchInFlightKeepsItsModelAlive) {
  ScorerHandle h(tiny_scorer(1));
  auto in_flight = h.get();
  const auto version = in_flight->model_version();
  h.set(tiny_scorer(2));
  EXPECT_EQ(in_flight->model_version(), version);  // still usable after the swap
  EXPECT_NE(h.get()->model_version(), version);
}

// Scoring threads take the model once per batch while another thread swaps it: every batch's
// verdicts carry one version, one of the two, and nothing is freed under a reader (ASan).
TEST(ScorerHandleTest, SwapsUnderScoringThreadsAreSafe) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("fs_handle_test_" + std::to_string(::getpid()));
  for (uint64_t seed : {1, 2}) {
    auto a = train(testing::synthetic_data(300, seed), testing::fast_options());
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(save_artifact(**a, (dir / std::to_string(seed)).string()).ok());
  }
  auto load = [&](int i) {
    auto s = Scorer::load((dir / std::to_string(1 + i % 2)).string(), {.nthread = 1});
    return s.ok() ? std::shared_ptr<const Scorer>(std::move(*s)) : nullptr;
  };
  ScorerHandle h(load(0));
  ASSERT_NE(load(0)->model_version(), load(1)->model_version());
  auto flows = testing::synthetic_data(32, 9).rows;
  std::atomic<bool> stop{false};
  std::atomic<int> mixed{0}, batches{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 2; ++t) {
    readers.emplace_back([&] {
      std::vector<Verdict> out;
      while (!stop) {
        auto scorer = h.get();
        if (!scorer->score(flows, out).ok()) ++mixed;
        for (const auto& v : out) mixed += v.model_version != scorer->model_version();
        ++batches;
      }
    });
  }
  // Freshly loaded models each time, so a swapped-out one is really freed while readers run.
  for (int i = 1; i <= 6; ++i) h.set(load(i));
  stop = true;
  for (auto& t : readers) t.join();
  std::filesystem::remove_all(dir);
  EXPECT_EQ(mixed, 0);
  EXPECT_GT(batches, 0);
}

TEST(ShadowStatsTest, CountsAgreementAnomaliesAndHistograms) {
  ShadowStats s;
  s.restart("a", "b");
  std::vector<Verdict> active(4), shadow(4);
  const double scores_a[] = {0.01, 0.9, 0.96, 0.3};
  const double scores_b[] = {0.02, 0.2, 0.97, 0.7};
  for (size_t i = 0; i < 4; ++i) {
    active[i] = {scores_a[i], scores_a[i] >= 0.5, "Normal", 1, 0.5, "a", {}};
    shadow[i] = {scores_b[i], scores_b[i] >= 0.5, i == 2 ? "DoS" : "Normal", 1, 0.5, "b", {}};
  }
  s.record(active, shadow);
  auto j = s.to_json();
  EXPECT_EQ(j["active"], "a");
  EXPECT_EQ(j["shadow"], "b");
  EXPECT_EQ(j["flows"], 4);
  EXPECT_DOUBLE_EQ(j["agreement"].get<double>(), 0.5);  // flows 0 and 2
  EXPECT_DOUBLE_EQ(j["attack_cat_agreement"].get<double>(), 0.75);
  EXPECT_EQ(j["anomalies"]["active"], 2);
  EXPECT_EQ(j["anomalies"]["shadow"], 2);
  EXPECT_EQ(j["anomalies"]["only_active"], 1);
  EXPECT_EQ(j["anomalies"]["only_shadow"], 1);
  const auto& ha = j["histograms"]["active"];
  ASSERT_EQ(ha.size(), ShadowStats::kBins);
  EXPECT_EQ(j["histograms"]["bins"].size(), ShadowStats::kBins + 1);
  EXPECT_EQ(ha[0], 1);                          // 0.01
  EXPECT_EQ(ha[18], 1);                         // 0.9
  EXPECT_EQ(ha[19], 1);                         // 0.96
  EXPECT_EQ(ha[6], 1);                          // 0.3
  EXPECT_EQ(j["histograms"]["shadow"][14], 1);  // 0.7
}

TEST(ShadowStatsTest, PairsOfAnotherVersionAreNotCounted) {
  ShadowStats s;
  s.restart("a", "b");
  std::vector<Verdict> active(1), shadow(1);
  active[0].model_version = "old";
  shadow[0].model_version = "b";
  s.record(active, shadow);
  EXPECT_EQ(s.to_json()["flows"], 0);
  EXPECT_TRUE(s.to_json()["agreement"].is_null());
}

TEST(ShadowStatsTest, SettingAShadowRestartsTheStatistics) {
  auto a = tiny_scorer(1);
  auto b = tiny_scorer(2);
  ScorerHandle h(a);
  h.set_shadow(b);
  auto flows = testing::synthetic_data(50, 4).rows;
  std::vector<Verdict> va, vb;
  ASSERT_TRUE(h.get()->score(flows, va).ok());
  ASSERT_TRUE(h.shadow()->score(flows, vb).ok());
  h.shadow_stats().record(va, vb);
  EXPECT_EQ(h.shadow_stats().to_json()["flows"], 50);
  EXPECT_EQ(h.shadow_stats().to_json()["shadow"], b->model_version());
  h.set_shadow(nullptr);
  EXPECT_EQ(h.shadow_stats().to_json()["flows"], 0);
  EXPECT_TRUE(h.shadow_stats().to_json()["shadow"].is_null());
}

}  // namespace
}  // namespace flowsentry::model
