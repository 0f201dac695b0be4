#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "model/scorer.h"
#include "model/tests/synthetic.h"

namespace flowsentry::model {
namespace {

class ScorerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto a = train(testing::synthetic_data(800), testing::fast_options());
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    scorer_ = new Scorer(std::move(*a), {.nthread = 1});
  }
  static void TearDownTestSuite() { delete scorer_; }
  static Scorer* scorer_;
};
Scorer* ScorerTest::scorer_ = nullptr;

TEST_F(ScorerTest, VerdictsCarryScoreLabelCategoryAndVersion) {
  auto rows = testing::synthetic_data(200, 3).rows;
  std::vector<Verdict> v;
  ASSERT_TRUE(scorer_->score(rows, v).ok());
  ASSERT_EQ(v.size(), rows.size());
  int correct = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_GE(v[i].score, 0);
    EXPECT_LE(v[i].score, 1);
    EXPECT_EQ(v[i].label, v[i].score >= scorer_->threshold() ? 1 : 0);
    EXPECT_EQ(v[i].model_version, scorer_->model_version());
    EXPECT_GT(v[i].attack_cat_prob, 0);
    EXPECT_TRUE(v[i].top_features.empty());
    correct += v[i].label == *rows[i].label;
  }
  EXPECT_GT(correct, 180);  // the synthetic classes are easy: sttl separates them
}

TEST_F(ScorerTest, UnseenCategoriesStillScore) {
  auto rows = testing::synthetic_data(1, 3).rows;
  rows[0].proto = "never-seen-proto";
  rows[0].service = "gopher";
  std::vector<Verdict> v;
  ASSERT_TRUE(scorer_->score(rows, v).ok());
  EXPECT_GE(v[0].score, 0);
}

TEST_F(ScorerTest, ExplainsTopKBySizeOfContribution) {
  auto rows = testing::synthetic_data(20, 4).rows;
  std::vector<Verdict> v;
  ASSERT_TRUE(scorer_->score(rows, v, {.top_k = 3}).ok());
  for (const auto& verdict : v) {
    ASSERT_EQ(verdict.top_features.size(), 3u);
    EXPECT_GE(std::fabs(verdict.top_features[0].contribution),
              std::fabs(verdict.top_features[1].contribution));
    EXPECT_GE(std::fabs(verdict.top_features[1].contribution),
              std::fabs(verdict.top_features[2].contribution));
  }
  // sttl is what separates the synthetic classes, so it leads most explanations.
  int sttl_first = 0;
  for (const auto& verdict : v) sttl_first += verdict.top_features[0].feature == "sttl";
  EXPECT_GT(sttl_first, 10);
}

TEST_F(ScorerTest, ExplainsOnlyAnomaliesWhenAsked) {
  auto rows = testing::synthetic_data(60, 5).rows;
  std::vector<Verdict> v;
  ASSERT_TRUE(scorer_->score(rows, v, {.top_k = 2, .anomalies_only = true}).ok());
  int explained = 0;
  for (const auto& verdict : v) {
    EXPECT_EQ(verdict.top_features.empty(), verdict.label == 0);
    explained += !verdict.top_features.empty();
  }
  EXPECT_GT(explained, 0);
}

TEST_F(ScorerTest, ExplainsAtMostMaxRowsTheHighestScoresFirst) {
  auto rows = testing::synthetic_data(200, 7).rows;
  std::vector<Verdict> v;
  ASSERT_TRUE(scorer_->score(rows, v, {.top_k = 2, .anomalies_only = true, .max_rows = 3}).ok());
  std::vector<float> explained, anomalies;
  for (const auto& verdict : v) {
    if (verdict.label == 1) anomalies.push_back(verdict.score);
    if (!verdict.top_features.empty()) explained.push_back(verdict.score);
  }
  ASSERT_GT(anomalies.size(), 3u) << "the synthetic data should have more than 3 anomalies";
  ASSERT_EQ(explained.size(), 3u);
  std::sort(anomalies.rbegin(), anomalies.rend());
  std::sort(explained.rbegin(), explained.rend());
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(explained[i], anomalies[i]);
}

TEST_F(ScorerTest, ReusedOutputDropsOldExplanations) {
  auto rows = testing::synthetic_data(5, 6).rows;
  std::vector<Verdict> v;
  ASSERT_TRUE(scorer_->score(rows, v, {.top_k = 2}).ok());
  ASSERT_TRUE(scorer_->score(rows, v).ok());
  for (const auto& verdict : v) EXPECT_TRUE(verdict.top_features.empty());
}

TEST_F(ScorerTest, ConcurrentScoringMatchesSequential) {
  auto rows = testing::synthetic_data(500, 8).rows;
  std::vector<Verdict> expected;
  ASSERT_TRUE(scorer_->score(rows, expected).ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Verdict> v;
      for (int rep = 0; rep < 20; ++rep) {
        // Different batch sizes per thread, one-flow calls included.
        const size_t batch = t == 0 ? 1 : 37 * static_cast<size_t>(t);
        for (size_t off = 0; off < rows.size(); off += batch) {
          const size_t n = std::min(batch, rows.size() - off);
          if (!scorer_->score(std::span(rows).subspan(off, n), v, {.top_k = rep % 5 == 0 ? 1 : 0})
                   .ok()) {
            ++mismatches[t];
            continue;
          }
          for (size_t i = 0; i < n; ++i) {
            if (v[i].score != expected[off + i].score ||
                v[i].attack_cat != expected[off + i].attack_cat) {
              ++mismatches[t];
            }
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST_F(ScorerTest, ConcurrentExplanationsMatchSequential) {
  auto rows = testing::synthetic_data(60, 10).rows;
  std::vector<Verdict> expected;
  ASSERT_TRUE(scorer_->score(rows, expected, {.top_k = 3}).ok());
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::vector<Verdict> v;
      for (int rep = 0; rep < 10; ++rep) {
        const size_t batch = t == 0 ? 1 : 7 * static_cast<size_t>(t);
        for (size_t off = 0; off < rows.size(); off += batch) {
          const size_t n = std::min(batch, rows.size() - off);
          if (!scorer_->score(std::span(rows).subspan(off, n), v, {.top_k = 3}).ok()) {
            ++mismatches[t];
            continue;
          }
          for (size_t i = 0; i < n; ++i) {
            const auto& want = expected[off + i].top_features;
            const auto& got = v[i].top_features;
            bool same = got.size() == want.size();
            for (size_t j = 0; same && j < got.size(); ++j) {
              same = got[j].feature == want[j].feature &&
                     std::fabs(got[j].contribution - want[j].contribution) < 1e-5;
            }
            mismatches[t] += same ? 0 : 1;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_EQ(mismatches[t], 0) << "thread " << t;
}

TEST_F(ScorerTest, VerdictJsonHasTheDocumentedFields) {
  Verdict v;
  v.score = 0.75;
  v.label = 1;
  v.attack_cat = "DoS";
  v.attack_cat_prob = 0.5;
  v.threshold = 0.4;
  v.model_version = "xgb-abc";
  v.top_features.push_back({"sttl", 254, 1.5});
  std::string out;
  append_verdict_json(v, out, 7, 3);
  auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["id"], 7);
  EXPECT_EQ(j["line"], 3);
  EXPECT_DOUBLE_EQ(j["score"].get<double>(), 0.75);
  EXPECT_EQ(j["label"], 1);
  EXPECT_EQ(j["attack_cat"], "DoS");
  EXPECT_EQ(j["model_version"], "xgb-abc");
  EXPECT_EQ(j["top_features"][0]["feature"], "sttl");
  EXPECT_EQ(j["top_features"][0]["value"], 254);
}

}  // namespace
}  // namespace flowsentry::model
