#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <random>

#include "flow/reader.h"
#include "model/forest.h"
#include "model/scorer.h"
#include "model/tests/synthetic.h"

namespace flowsentry::model {
namespace {

constexpr size_t kF = FeatureSpace::kSize;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

// Encoded rows plus variants with missing values, so every default direction is taken.
std::vector<float> encode_with_missing(const FeatureSpace& fs,
                                       const std::vector<flow::FlowRecord>& rows) {
  std::vector<float> x(rows.size() * kF);
  for (size_t i = 0; i < rows.size(); ++i) fs.encode(rows[i], &x[i * kF]);
  std::mt19937_64 rng(11);
  const size_t n = rows.size();
  for (size_t i = 0; i < n; ++i) {
    std::vector<float> row(x.begin() + static_cast<long>(i * kF),
                           x.begin() + static_cast<long>((i + 1) * kF));
    for (auto& v : row) {
      if (rng() % 4 == 0) v = kNaN;
    }
    if (i % 10 == 0) std::fill(row.begin(), row.end(), kNaN);
    x.insert(x.end(), row.begin(), row.end());
  }
  return x;
}

// Native output must equal XGBoost's in-place prediction for every value.
void expect_same_as_xgboost(const xgb::Booster& booster, const std::vector<float>& x,
                            size_t outputs, const char* what) {
  const size_t rows = x.size() / kF;
  for (const char* format : {"ubj", "json"}) {
    auto bytes = booster.save_buffer(format);
    ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
    auto forest = Forest::load(*bytes);
    ASSERT_TRUE(forest.ok()) << forest.error().to_string();
    ASSERT_EQ(forest->outputs(), outputs);
    ASSERT_EQ(forest->num_features(), kF);
    std::vector<float> native(rows * outputs);
    forest->predict(x.data(), rows, native.data());
    const float* expected = nullptr;
    size_t len = 0;
    ASSERT_TRUE(booster.predict_dense(x.data(), rows, kF, &expected, &len).ok());
    ASSERT_EQ(len, native.size());
    size_t worst = 0;
    for (size_t i = 0; i < len; ++i) {
      if (std::fabs(native[i] - expected[i]) > std::fabs(native[worst] - expected[worst])) {
        worst = i;
      }
    }
    EXPECT_NEAR(native[worst], expected[worst], 1e-5)
        << what << " (" << format << "), row " << worst / outputs << ", output " << worst % outputs
        << " of " << rows << " rows";
  }
}

// Native TreeSHAP must equal XGBoost's pred_contribs, to float rounding, for every row,
// feature and bias.
void expect_same_contributions(const xgb::Booster& booster, const std::vector<float>& x,
                               size_t outputs, const char* what) {
  const size_t rows = x.size() / kF, width = (kF + 1) * outputs;
  auto bytes = booster.save_buffer("ubj");
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  auto forest = Forest::load(*bytes);
  ASSERT_TRUE(forest.ok()) << forest.error().to_string();
  ASSERT_TRUE(forest->explainable());
  auto m = xgb::DMatrix::dense(x, rows, kF, 1);
  ASSERT_TRUE(m.ok());
  std::vector<float> expected, native(width);
  ASSERT_TRUE(booster.predict(*m, 2, expected).ok());
  ASSERT_EQ(expected.size(), rows * width);
  size_t differ = 0, nonzero = 0;
  float worst = 0;
  for (size_t r = 0; r < rows; ++r) {
    forest->contributions(&x[r * kF], native.data());
    for (size_t c = 0; c < width; ++c) {
      const float want = expected[r * width + c];
      differ += native[c] != want;
      nonzero += want != 0;
      worst = std::max(worst, std::fabs(native[c] - want) / std::max(1.0f, std::fabs(want)));
    }
  }
  EXPECT_LE(worst, 1e-5f) << what;
  std::cout << what << ": " << differ << " of " << rows * width
            << " contributions not bit-equal to XGBoost's, worst relative difference " << worst
            << "\n";
  EXPECT_GT(nonzero, rows) << what << ": contributions are all zero";
}

TEST(ForestTest, MatchesXgboostOnGeneratedRowsWithMissingValuesAndUnseenCategories) {
  auto a = train(testing::synthetic_data(800), testing::fast_options());
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto rows = testing::synthetic_data(300, 5).rows;
  for (size_t i = 0; i < rows.size(); i += 7) {
    rows[i].proto = "never-seen-proto";
    rows[i].service = "gopher";
    rows[i].state = "???";
  }
  const auto x = encode_with_missing((*a)->meta.features, rows);
  expect_same_as_xgboost((*a)->binary, x, 1, "binary");
  expect_same_as_xgboost((*a)->attack_cat, x, (*a)->meta.classes.size(), "attack_cat");
  expect_same_contributions((*a)->binary, x, 1, "binary");
  expect_same_contributions((*a)->attack_cat, x, (*a)->meta.classes.size(), "attack_cat");
}

TEST(ForestTest, MatchesXgboostOnTheDefaultModelWithTestCsvRows) {
  const std::string test = std::string(FLOWSENTRY_DATASET_DIR) + "/test.csv";
  if (!std::filesystem::exists(test)) {
    GTEST_SKIP() << test << " not found: the UNSW-NB15 data set is needed for this comparison";
  }
  auto a = load_artifact(std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  auto read = flow::read_valid_flows(test);
  ASSERT_TRUE(read.ok()) << read.error().to_string();
  auto& rows = *read;
  ASSERT_FALSE(rows.empty());
  for (size_t i = 0; i < rows.size(); i += 13) rows[i].service = "never-seen-service";
  const auto x = encode_with_missing((*a)->meta.features, rows);
  expect_same_as_xgboost((*a)->binary, x, 1, "binary");
  expect_same_as_xgboost((*a)->attack_cat, x, (*a)->meta.classes.size(), "attack_cat");
  // TreeSHAP costs milliseconds a row: every 97th row and its variant with missing values.
  std::vector<float> some;
  for (size_t r = 0; r < x.size() / kF; r += 97) {
    some.insert(some.end(), x.begin() + static_cast<long>(r * kF),
                x.begin() + static_cast<long>((r + 1) * kF));
  }
  expect_same_contributions((*a)->binary, some, 1, "binary");
}

TEST(ForestTest, NativeAndXgboostScorersGiveTheSameVerdicts) {
  auto data = testing::synthetic_data(800);
  auto a = train(data, testing::fast_options());
  auto b = train(data, testing::fast_options());
  ASSERT_TRUE(a.ok() && b.ok());
  const Scorer native(std::move(*a), {.nthread = 1});
  const Scorer xgboost(std::move(*b), {.nthread = 1, .engine = Engine::kXgboost});
  ASSERT_TRUE(native.native());
  ASSERT_FALSE(xgboost.native());
  auto rows = testing::synthetic_data(200, 9).rows;
  std::vector<Verdict> vn, vx;
  ASSERT_TRUE(native.score(rows, vn, {.top_k = 3}).ok());
  ASSERT_TRUE(xgboost.score(rows, vx, {.top_k = 3}).ok());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(vn[i].top_features.size(), 3u);
    ASSERT_EQ(vx[i].top_features.size(), 3u);
    for (size_t j = 0; j < 3; ++j) {
      EXPECT_EQ(vn[i].top_features[j].feature, vx[i].top_features[j].feature) << i;
      EXPECT_NEAR(vn[i].top_features[j].contribution, vx[i].top_features[j].contribution, 1e-5)
          << i;
    }
    EXPECT_NEAR(vn[i].score, vx[i].score, 1e-5);
    EXPECT_EQ(vn[i].label, vx[i].label);
    EXPECT_EQ(vn[i].attack_cat, vx[i].attack_cat);
    EXPECT_NEAR(vn[i].attack_cat_prob, vx[i].attack_cat_prob, 1e-5);
  }
}

TEST(ForestTest, LargeBatchesSplitOverThreadsGiveTheSameScores) {
  auto a = train(testing::synthetic_data(800), testing::fast_options());
  ASSERT_TRUE(a.ok());
  const Scorer scorer(std::move(*a), {.nthread = 2});
  auto rows = testing::synthetic_data(3001, 12).rows;  // above the split size, odd
  std::vector<Verdict> batch, one;
  ASSERT_TRUE(scorer.score(rows, batch).ok());
  for (size_t i = 0; i < rows.size(); ++i) {
    ASSERT_TRUE(scorer.score(std::span(rows).subspan(i, 1), one).ok());
    EXPECT_EQ(batch[i].score, one[0].score) << i;
    EXPECT_EQ(batch[i].attack_cat, one[0].attack_cat) << i;
  }
}

TEST(ForestTest, RejectsWhatIsNotAnXgboostModel) {
  auto f = Forest::load(R"({"learner": {}})");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kCorrupt);
  EXPECT_FALSE(Forest::load("not a model").ok());
}

}  // namespace
}  // namespace flowsentry::model
