#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "model/artifact.h"
#include "model/boost.h"
#include "model/cv.h"
#include "model/tests/synthetic.h"

namespace flowsentry::model {
namespace {

namespace stdfs = std::filesystem;

std::vector<int> classes_of(const TrainingData& d) {
  std::vector<int> c;
  for (const auto& r : d.rows) c.push_back(class_index(*r.attack_cat));
  return c;
}

// A grid small enough for a unit test: a 10-round plain baseline, a one-round binary stump
// against a real binary candidate, and two attack_cat weightings.
CvGrid tiny_grid(const TrainOptions& base) {
  CvCandidate plain{"plain", CvBooster::kBoth, "baseline", plain_options(base, 10)};
  plain.options.max_depth = plain.options.cat_max_depth = 3;
  CvCandidate stump{"stump", CvBooster::kBinary, "too weak", base};
  stump.options.max_depth = 1;
  stump.options.max_rounds = 1;
  CvCandidate strong{"strong", CvBooster::kBinary, "as usual", base};
  CvCandidate flat{"flat", CvBooster::kAttackCat, "no weights", base};
  flat.options.class_weight_power = 0;
  CvCandidate weighted{"weighted", CvBooster::kAttackCat, "weights", base};
  weighted.options.class_weight_power = 0.5;
  return {"tiny", {plain, stump, strong, flat, weighted}};
}

TEST(StratifiedFoldsTest, EveryClassIsDealtEvenlyOverTheFolds) {
  const auto data = testing::synthetic_data(503);
  const auto classes = classes_of(data);
  const auto fold = stratified_folds(classes, 5, 42);
  ASSERT_EQ(fold.size(), classes.size());
  std::map<int, std::vector<int>> per_class;  // class -> rows per fold
  for (size_t i = 0; i < fold.size(); ++i) {
    ASSERT_GE(fold[i], 0);
    ASSERT_LT(fold[i], 5);
    auto& counts = per_class[classes[i]];
    counts.resize(5);
    counts[static_cast<size_t>(fold[i])]++;
  }
  for (const auto& [c, counts] : per_class) {
    EXPECT_LE(*std::max_element(counts.begin(), counts.end()) -
                  *std::min_element(counts.begin(), counts.end()),
              1)
        << "class " << c;
  }
}

TEST(StratifiedFoldsTest, TheSameSeedGivesTheSameFoldsAndAnotherSeedOthers) {
  const auto classes = classes_of(testing::synthetic_data(300));
  EXPECT_EQ(stratified_folds(classes, 5, 1), stratified_folds(classes, 5, 1));
  EXPECT_NE(stratified_folds(classes, 5, 1), stratified_folds(classes, 5, 2));
}

TEST(MeanSdTest, IsTheSampleMeanAndStandardDeviation) {
  std::vector<FoldScore> folds(3);
  folds[0].auc = 1;
  folds[1].auc = 2;
  folds[2].auc = 3;
  const auto m = mean_sd(folds, &FoldScore::auc);
  EXPECT_DOUBLE_EQ(m.mean, 2);
  EXPECT_DOUBLE_EQ(m.sd, 1);
  EXPECT_DOUBLE_EQ(mean_sd({folds[0]}, &FoldScore::auc).sd, 0);
}

TEST(PlainOptionsTest, IsUntunedXGBoostWithFixedRoundsAndNoClassWeights) {
  TrainOptions base = testing::fast_options();
  base.seed = 9;
  const auto p = plain_options(base);
  EXPECT_EQ(p.fixed_rounds, 400);
  EXPECT_EQ(p.max_depth, 8);
  EXPECT_EQ(p.cat_max_depth, 8);
  EXPECT_EQ(p.eta, 0.3);
  EXPECT_EQ(p.subsample, 1);
  EXPECT_EQ(p.colsample, 1);
  EXPECT_EQ(p.class_weight_power, 0);
  EXPECT_EQ(p.seed, 9);
  const auto params = attack_cat_params(p);
  EXPECT_EQ(params.at("eta"), "0.3");
  EXPECT_EQ(params.at("subsample"), "1");
}

TEST(PlainOptionsTest, FixedRoundsAreAllKept) {
  auto o = plain_options(testing::fast_options(), 7);
  o.max_depth = o.cat_max_depth = 3;
  auto a = train(testing::synthetic_data(300), o);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ(*(*a)->binary.rounds(), 7);
  EXPECT_EQ(*(*a)->attack_cat.rounds(), 7);
  EXPECT_EQ((*a)->meta.training["rounds_rule"], "fixed: 7 rounds, no early stopping");
}

TEST(CrossValidateTest, ScoresEveryCandidateOnEveryFoldAndChoosesByTheObjective) {
  const auto data = testing::synthetic_data(600);
  auto r = cross_validate(data, testing::fast_options(), tiny_grid(testing::fast_options()), 3);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  ASSERT_EQ(r->rows.size(), 5u);
  for (const auto& row : r->rows) EXPECT_EQ(row.folds.size(), 3u) << row.candidate.name;
  EXPECT_EQ(r->baseline, 0);
  EXPECT_EQ(r->rows[0].folds[0].binary_rounds, 10);
  EXPECT_EQ(r->rows[1].folds[0].binary_rounds, 1);
  // The stump's one split cannot match the baseline's AUC; the real candidate can.
  EXPECT_EQ(r->chosen_binary, 2);
  ASSERT_TRUE(r->chosen_attack_cat == 3 || r->chosen_attack_cat == 4);
  const auto& cat = r->rows[static_cast<size_t>(r->chosen_attack_cat)];
  EXPECT_EQ(r->chosen.class_weight_power, cat.candidate.options.class_weight_power);
  for (const auto& row : r->rows) {
    for (const auto& f : row.folds) {
      if (row.candidate.booster != CvBooster::kAttackCat) {
        EXPECT_GT(f.auc, 0.5);
      }
      if (row.candidate.booster != CvBooster::kBinary) {
        EXPECT_GT(f.macro_f1, 0);
      }
    }
  }
}

TEST(CrossValidateTest, TwoWorkersGiveTheSameScoresAsOne) {
  const auto data = testing::synthetic_data(400);
  auto one_opts = testing::fast_options();
  auto two_opts = one_opts;
  two_opts.nthread = 2;
  auto one = cross_validate(data, one_opts, tiny_grid(one_opts), 2);
  auto two = cross_validate(data, two_opts, tiny_grid(two_opts), 2);
  ASSERT_TRUE(one.ok() && two.ok());
  for (size_t c = 0; c < one->rows.size(); ++c) {
    for (size_t k = 0; k < 2; ++k) {
      const auto& a = one->rows[c].folds[k];
      const auto& b = two->rows[c].folds[k];
      EXPECT_EQ(a.auc, b.auc) << c << "/" << k;
      EXPECT_EQ(a.macro_f1, b.macro_f1) << c << "/" << k;
      EXPECT_EQ(a.binary_rounds, b.binary_rounds) << c << "/" << k;
    }
  }
  EXPECT_EQ(one->chosen_binary, two->chosen_binary);
  EXPECT_EQ(one->chosen_attack_cat, two->chosen_attack_cat);
}

TEST(CrossValidateTest, TooFewFoldsIsAnError) {
  auto r = cross_validate(testing::synthetic_data(100), testing::fast_options(),
                          tiny_grid(testing::fast_options()), 1);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

TEST(CrossValidateTest, TheNamedGridsStartWithThePlainBaseline) {
  for (const auto& name : cv_grid_names()) {
    auto g = cv_grid(name, TrainOptions{});
    ASSERT_TRUE(g) << name;
    ASSERT_FALSE(g->candidates.empty());
    EXPECT_EQ(g->candidates[0].booster, CvBooster::kBoth);
    EXPECT_EQ(g->candidates[0].options.fixed_rounds, 400);
  }
  EXPECT_FALSE(cv_grid("nope", TrainOptions{}));
}

TEST(TrainChosenTest, RecordsTheGridTheTableAndTheChoiceInMetaAndTheCard) {
  const auto dir =
      stdfs::temp_directory_path() / ("flowsentry_cv_test_" + std::to_string(::getpid()));
  stdfs::remove_all(dir);
  const auto data = testing::synthetic_data(600);
  auto t =
      train_chosen(data, testing::fast_options(), tiny_grid(testing::fast_options()), 3, false);
  ASSERT_TRUE(t.ok()) << t.error().to_string();
  EXPECT_FALSE(t->baseline);
  ASSERT_TRUE(save_artifact(*t->model, dir.string()).ok());
  auto loaded = load_artifact(dir.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const auto& cv = (*loaded)->meta.training.at("cv");
  EXPECT_EQ(cv["folds"], 3);
  EXPECT_EQ(cv["grid"], "tiny");
  EXPECT_EQ(cv["candidates"].size(), 5u);
  EXPECT_EQ(cv["baseline"], "plain");
  EXPECT_EQ(cv["chosen"]["binary"], "strong");
  EXPECT_EQ(cv["candidates"][0]["folds"].size(), 3u);
  EXPECT_TRUE(cv["candidates"][0]["sd"].contains("macro_f1"));

  auto plain = train(data, plain_options(testing::fast_options(), 5));
  ASSERT_TRUE(plain.ok());
  auto report = (*loaded)->metrics["validation"];
  ASSERT_TRUE(record_metrics(dir.string(), "test", report).ok());
  ASSERT_TRUE(
      record_metrics(dir.string(), "baseline", baseline_record((*plain)->meta, report)).ok());
  const auto card = *read_file((dir / "model_card.md").string());
  EXPECT_NE(card.find("## Model selection (3-fold cross-validation"), std::string::npos);
  EXPECT_NE(card.find("| strong (chosen) | binary |"), std::string::npos);
  EXPECT_NE(card.find("## Against a plain XGBoost"), std::string::npos);
  EXPECT_NE(card.find("| plain XGBoost |"), std::string::npos);
  EXPECT_NE(card.find(" ± "), std::string::npos);
  stdfs::remove_all(dir);
}

}  // namespace
}  // namespace flowsentry::model
