#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <iostream>
#include <limits>
#include <map>
#include <random>

#include <nlohmann/json.hpp>

#include "flow/reader.h"
#include "model/forest.h"
#include "model/scorer.h"
#include "model/tests/synthetic.h"
#include "model/xgb.h"

namespace flowsentry::model {
namespace {

constexpr size_t kF = FeatureSpace::kFullSize;
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

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

// Native TreeSHAP must equal XGBoost's pred_contribs within 1e-5 (absolute) for every row,
// feature and bias. `x` holds rows of `cols` values.
void expect_same_contributions(const xgb::Booster& booster, const std::vector<float>& x,
                               size_t cols, size_t outputs, const char* what) {
  const size_t rows = x.size() / cols, width = (cols + 1) * outputs;
  auto bytes = booster.save_buffer("ubj");
  ASSERT_TRUE(bytes.ok()) << bytes.error().to_string();
  auto forest = Forest::load(*bytes);
  ASSERT_TRUE(forest.ok()) << forest.error().to_string();
  ASSERT_TRUE(forest->explainable());
  auto m = xgb::DMatrix::dense(x, rows, cols, 1);
  ASSERT_TRUE(m.ok());
  std::vector<float> expected, native(width);
  ASSERT_TRUE(booster.predict(*m, 2, expected).ok());
  ASSERT_EQ(expected.size(), rows * width);
  size_t nonzero = 0, worst_at = 0;
  float worst = 0;
  for (size_t r = 0; r < rows; ++r) {
    forest->contributions(&x[r * cols], native.data());
    for (size_t c = 0; c < width; ++c) {
      const float want = expected[r * width + c];
      nonzero += want != 0;
      if (std::fabs(native[c] - want) > worst || std::isnan(native[c]) != std::isnan(want)) {
        worst = std::isnan(native[c]) != std::isnan(want) ? kInf : std::fabs(native[c] - want);
        worst_at = r * width + c;
      }
    }
  }
  EXPECT_LE(worst, 1e-5f) << what << ": row " << worst_at / width << ", column " << worst_at % width
                          << " of " << width;
  std::cout << what << ": " << rows << " rows, " << forest->linear_shap_trees() << " of "
            << forest->trees() << " trees in linear time (" << forest->shap_bytes()
            << " bytes), worst absolute difference from XGBoost " << worst << "\n";
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
  expect_same_contributions((*a)->binary, x, kF, 1, "binary");
  expect_same_contributions((*a)->attack_cat, x, kF, (*a)->meta.classes.size(), "attack_cat");
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
  expect_same_contributions((*a)->binary, some, kF, 1, "binary");
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

// Levels below the root of the deepest tree in an XGBoost JSON model.
unsigned deepest_tree(const std::string& model_json, unsigned* shallowest) {
  const auto j = nlohmann::json::parse(model_json);
  unsigned most = 0, least = UINT32_MAX;
  for (const auto& tree : j["learner"]["gradient_booster"]["model"]["trees"]) {
    const auto left = tree["left_children"].get<std::vector<int>>();
    const auto right = tree["right_children"].get<std::vector<int>>();
    std::vector<unsigned> level(left.size(), 0);
    unsigned depth = 0;
    for (size_t i = 0; i < left.size(); ++i) {  // parents come before their children
      if (left[i] == -1) continue;
      level[static_cast<size_t>(left[i])] = level[static_cast<size_t>(right[i])] = level[i] + 1;
      depth = std::max(depth, level[i] + 1);
    }
    most = std::max(most, depth);
    least = std::min(least, depth);
  }
  *shallowest = least;
  return most;
}

// Boosts on noise with min_child_weight and lambda 0, one round per max_depth from 1 to 14 and
// back, so trees end at many depths: stumps, trees padded below their shallow leaves, and
// trees deeper than kMaxPaddedDepth that are walked node by node. Features have missing values
// in training, so splits learn both default directions.
xgb::Booster noise_booster(const char* objective, int classes) {
  constexpr size_t kRows = 1500, kCols = 12;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<float> u(0, 1);
  std::vector<float> x(kRows * kCols), y(kRows);
  for (auto& v : x) v = u(rng) < 0.15f ? kNaN : std::floor(u(rng) * 64);
  for (auto& v : y) v = static_cast<float>(rng() % static_cast<uint64_t>(classes));
  auto m = xgb::DMatrix::dense(x, kRows, kCols, 1);
  EXPECT_TRUE(m.ok());
  EXPECT_TRUE(m->set_labels(y).ok());
  const xgb::DMatrix* cache[] = {&*m};
  auto b = xgb::Booster::create(cache);
  EXPECT_TRUE(b.ok());
  for (const auto& [k, v] : std::map<std::string, std::string>{{"objective", objective},
                                                               {"min_child_weight", "0"},
                                                               {"lambda", "0"},
                                                               {"eta", "0.3"},
                                                               {"nthread", "1"},
                                                               {"seed", "3"}}) {
    EXPECT_TRUE(b->set_param(k, v).ok());
  }
  if (classes > 2) {
    EXPECT_TRUE(b->set_param("num_class", std::to_string(classes)).ok());
  }
  const int depths[] = {1, 2, 3, 5, 8, 10, 11, 14, 12, 9, 6, 4, 2, 13, 7, 1};
  for (int it = 0; it < 16; ++it) {
    EXPECT_TRUE(b->set_param("max_depth", std::to_string(depths[it])).ok());
    EXPECT_TRUE(b->update(it, *m).ok());
  }
  return std::move(*b);
}

// Rows the walk takes in different ways: the first 256 with no missing value (so whole blocks
// take the path without the default-direction rule), then blocks mixing NaN and finite values,
// one block with a single NaN, and a tail that is not a multiple of the lanes. Some values are
// +inf, which goes right even at the splits padding adds below a leaf.
std::vector<float> mixed_rows(size_t cols) {
  constexpr size_t kRows = 256 + 128 + 128 + 37;
  std::mt19937_64 rng(8);
  std::uniform_real_distribution<float> u(-4, 68);
  std::vector<float> x(kRows * cols);
  for (auto& v : x) v = std::floor(u(rng)) + (rng() % 4 == 0 ? 0.5f : 0.0f);
  for (size_t r = 0; r < kRows; r += 3) x[r * cols + r % cols] = kInf;  // right at every split
  x[300 * cols + 3] = kNaN;
  for (size_t i = 384 * cols; i < x.size(); ++i) {
    if (rng() % 5 == 0) x[i] = kNaN;
  }
  return x;
}

TEST(ForestTest, PaddedTreesOfEveryDepthPredictExactlyAsXgboostWithAndWithoutMissingValues) {
  for (const auto& [objective, classes] :
       {std::pair{"binary:logistic", 2}, std::pair{"multi:softprob", 3}}) {
    const auto booster = noise_booster(objective, classes);
    auto json_model = booster.save_buffer("json");
    ASSERT_TRUE(json_model.ok());
    unsigned shallowest = 0;
    const unsigned deepest = deepest_tree(*json_model, &shallowest);
    EXPECT_GT(deepest, kMaxPaddedDepth) << objective;
    EXPECT_LE(shallowest, 1u) << objective;
    auto bytes = booster.save_buffer("ubj");
    ASSERT_TRUE(bytes.ok());
    auto forest = Forest::load(*bytes);
    ASSERT_TRUE(forest.ok()) << forest.error().to_string();
    const size_t cols = forest->num_features(), k = forest->outputs();
    const auto x = mixed_rows(cols);
    const size_t rows = x.size() / cols;
    const float* expected = nullptr;
    size_t len = 0;
    ASSERT_TRUE(booster.predict_dense(x.data(), rows, cols, &expected, &len).ok());
    ASSERT_EQ(len, rows * k);
    std::vector<float> batch(rows * k), one(k);
    forest->predict(x.data(), rows, batch.data());
    for (size_t r = 0; r < rows; ++r) {
      forest->predict(&x[r * cols], 1, one.data());
      for (size_t c = 0; c < k; ++c) {
        ASSERT_EQ(batch[r * k + c], expected[r * k + c]) << objective << " row " << r;
        ASSERT_EQ(one[c], expected[r * k + c]) << objective << " row " << r << " alone";
      }
    }
  }
}

// Trees of 1 to 14 levels with splits on one feature repeated along a path, NaN at splits of
// both default directions, binary and three classes: trees up to kMaxLinearShapDepth deep take
// linear TreeSHAP, deeper ones the path-dependent algorithm, and both give XGBoost's values.
TEST(ForestTest, LinearTreeShapAndItsFallbackForDeepTreesEqualXgboostContributions) {
  for (const auto& [objective, classes] :
       {std::pair{"binary:logistic", 2}, std::pair{"multi:softprob", 3}}) {
    const auto booster = noise_booster(objective, classes);
    auto json_model = booster.save_buffer("json");
    ASSERT_TRUE(json_model.ok());
    const auto j = nlohmann::json::parse(*json_model);
    size_t deep = 0, trees = 0;
    for (const auto& tree : j["learner"]["gradient_booster"]["model"]["trees"]) {
      unsigned shallowest = 0;
      nlohmann::json one = j;
      one["learner"]["gradient_booster"]["model"]["trees"] = nlohmann::json::array({tree});
      deep += deepest_tree(one.dump(), &shallowest) > kMaxLinearShapDepth;
      ++trees;
    }
    auto bytes = booster.save_buffer("ubj");
    ASSERT_TRUE(bytes.ok());
    auto forest = Forest::load(*bytes);
    ASSERT_TRUE(forest.ok()) << forest.error().to_string();
    ASSERT_GT(deep, 0u) << objective;
    EXPECT_EQ(forest->linear_shap_trees(), trees - deep) << objective;
    const size_t cols = forest->num_features();
    const auto all = mixed_rows(cols);
    std::vector<float> x;  // every 8th row, finite and NaN values (a DMatrix refuses inf)
    for (size_t r = 0; r < all.size() / cols; r += 8) {
      x.insert(x.end(), all.begin() + static_cast<long>(r * cols),
               all.begin() + static_cast<long>((r + 1) * cols));
    }
    for (auto& v : x) v = std::isinf(v) ? 1e9f : v;
    expect_same_contributions(booster, x, cols, forest->outputs(), objective);
  }
}

// The committed model without the data set: generated flows, and the same with missing values.
TEST(ForestTest, DefaultModelContributionsEqualXgboostsOnGeneratedFlows) {
  auto a = load_artifact(std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default");
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  const auto x = encode_with_missing((*a)->meta.features, testing::synthetic_data(50, 21).rows);
  expect_same_contributions((*a)->binary, x, kF, 1, "default binary");
  const std::vector<float> some(x.begin(), x.begin() + 20 * kF);
  expect_same_contributions((*a)->attack_cat, some, kF, (*a)->meta.classes.size(),
                            "default attack_cat");
}

TEST(ForestTest, RejectsWhatIsNotAnXgboostModel) {
  auto f = Forest::load(R"({"learner": {}})");
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().code, ErrorCode::kCorrupt);
  EXPECT_FALSE(Forest::load("not a model").ok());
}

}  // namespace
}  // namespace flowsentry::model
