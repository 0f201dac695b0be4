// Metric functions against values computed by hand on tiny inputs.
#include <gtest/gtest.h>

#include <cmath>

#include "model/metrics.h"

namespace flowsentry::model {
namespace {

// Five flows: attacks at 0.9, 0.7, 0.6; normals at 0.8, 0.5.
const std::vector<float> kScores{0.9f, 0.8f, 0.7f, 0.6f, 0.5f};
const std::vector<int> kLabels{1, 0, 1, 1, 0};

TEST(MetricsTest, AucCountsOrderedPairs) {
  // Attack > normal in 4 of the 6 (attack, normal) pairs.
  EXPECT_NEAR(roc_auc(kScores, kLabels), 4.0 / 6.0, 1e-12);
}

TEST(MetricsTest, AucCountsTiesAsHalf) {
  EXPECT_NEAR(roc_auc(std::vector<float>{0.5f, 0.5f}, std::vector<int>{1, 0}), 0.5, 1e-12);
  // Pairs: 0.9>0.5, 0.9>0.1, 0.5=0.5 (half), 0.5>0.1 -> 3.5 of 4.
  EXPECT_NEAR(roc_auc(std::vector<float>{0.9f, 0.5f, 0.5f, 0.1f}, std::vector<int>{1, 1, 0, 0}),
              0.875, 1e-12);
}

TEST(MetricsTest, AucIsNanWithOneClass) {
  EXPECT_TRUE(std::isnan(roc_auc(std::vector<float>{0.1f, 0.2f}, std::vector<int>{1, 1})));
}

TEST(MetricsTest, BinaryMetricsAtThreshold) {
  const auto m = binary_metrics(kScores, kLabels, 0.65);
  EXPECT_EQ(m.tp, 2);
  EXPECT_EQ(m.fp, 1);
  EXPECT_EQ(m.tn, 1);
  EXPECT_EQ(m.fn, 1);
  EXPECT_NEAR(m.accuracy, 0.6, 1e-12);
  EXPECT_NEAR(m.precision, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.recall, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.f1, 2.0 / 3.0, 1e-12);
  EXPECT_NEAR(m.fpr, 0.5, 1e-12);
}

TEST(MetricsTest, ThresholdIsInclusive) {
  const auto m = binary_metrics(kScores, kLabels, 0.6);
  EXPECT_EQ(m.tp, 3);
  EXPECT_EQ(m.fn, 0);
}

TEST(MetricsTest, EmptyRatiosAreZero) {
  const auto m = binary_metrics(std::vector<float>{0.1f}, std::vector<int>{0}, 0.5);
  EXPECT_EQ(m.precision, 0);
  EXPECT_EQ(m.recall, 0);
  EXPECT_EQ(m.f1, 0);
}

TEST(MetricsTest, FprAtRecallTakesTheFirstThresholdReachingTheRecall) {
  EXPECT_NEAR(fpr_at_recall(kScores, kLabels, 0.3), 0.0, 1e-12);   // 0.9 alone
  EXPECT_NEAR(fpr_at_recall(kScores, kLabels, 0.6), 0.5, 1e-12);   // down to 0.7
  EXPECT_NEAR(fpr_at_recall(kScores, kLabels, 0.95), 0.5, 1e-12);  // down to 0.6
}

TEST(MetricsTest, ThresholdRuleTakesHighestRecallWithinFpr) {
  auto strict = choose_threshold(kScores, kLabels, 0.0);
  EXPECT_FLOAT_EQ(static_cast<float>(strict.threshold), 0.9f);
  EXPECT_NEAR(strict.recall, 1.0 / 3.0, 1e-12);
  EXPECT_EQ(strict.fpr, 0.0);
  auto loose = choose_threshold(kScores, kLabels, 0.5);
  EXPECT_FLOAT_EQ(static_cast<float>(loose.threshold), 0.6f);
  EXPECT_EQ(loose.recall, 1.0);
  EXPECT_EQ(loose.fpr, 0.5);
  // Everything allowed: recall 1 is first reached at 0.6, which beats 0.5 (same recall).
  EXPECT_FLOAT_EQ(static_cast<float>(choose_threshold(kScores, kLabels, 1.0).threshold), 0.6f);
  EXPECT_NE(loose.rule.find("0.5"), std::string::npos);
}

TEST(MetricsTest, ThresholdRuleWithoutAttacksFlagsNothing) {
  auto c = choose_threshold(std::vector<float>{0.2f, 0.4f}, std::vector<int>{0, 0}, 0.1);
  EXPECT_GT(c.threshold, 0.4);
  EXPECT_EQ(binary_metrics(std::vector<float>{0.2f, 0.4f}, std::vector<int>{0, 0}, c.threshold).fp,
            0);
}

TEST(MetricsTest, WilsonUpperBound) {
  // k=0, n=100, z=1.645: (z^2/2n + z*sqrt(z^2/4n^2)) / (1 + z^2/n) = 0.02635.
  EXPECT_NEAR(wilson_upper(0, 100, 1.645), 0.02635, 1e-4);
  EXPECT_NEAR(wilson_upper(10, 100, 0), 0.1, 1e-12);
  EXPECT_GT(wilson_upper(10, 100, 1.645), 0.1);
}

TEST(MetricsTest, ConfidenceBoundMakesTheThresholdStricter) {
  // 100 normals spread over [0, 1), 100 attacks above 0.5: at a 5% FPR the plain rule lets 5
  // normals through; the bounded rule must let fewer through.
  std::vector<float> s;
  std::vector<int> y;
  for (int i = 0; i < 100; ++i) {
    s.push_back(static_cast<float>(i) / 100.0f);
    y.push_back(0);
    s.push_back(0.5f + static_cast<float>(i) / 200.0f + 0.001f);
    y.push_back(1);
  }
  const auto plain = choose_threshold(s, y, 0.05);
  const auto bounded = choose_threshold(s, y, 0.05, 1.645);
  EXPECT_NEAR(plain.fpr, 0.05, 1e-12);
  EXPECT_LT(bounded.fpr, plain.fpr);
  EXPECT_GT(bounded.threshold, plain.threshold);
}

TEST(MetricsTest, MulticlassAccuracyMacroF1AndConfusion) {
  const std::vector<int> truth{0, 0, 1, 1, 2}, pred{0, 1, 1, 1, 0};
  const auto m = multiclass_metrics(truth, pred, 4);  // class 3 absent: not in the macro mean
  EXPECT_NEAR(m.accuracy, 0.6, 1e-12);
  EXPECT_NEAR(m.per_class[0].precision, 0.5, 1e-12);
  EXPECT_NEAR(m.per_class[0].recall, 0.5, 1e-12);
  EXPECT_NEAR(m.per_class[1].f1, 0.8, 1e-12);
  EXPECT_EQ(m.per_class[2].f1, 0);
  EXPECT_NEAR(m.macro_f1, (0.5 + 0.8 + 0.0) / 3.0, 1e-12);
  EXPECT_EQ(m.confusion[0][1], 1);
  EXPECT_EQ(m.confusion[2][0], 1);
  EXPECT_EQ(m.per_class[1].support, 2);
}

// Attacks at 0.9, 0.8, 0.4; normals at 0.8, 0.2 (P = 3, N = 2). Thresholds, highest first:
// none flagged; >= 0.9: 1 TP; >= 0.8: 2 TP 1 FP; >= 0.4: 3 TP 1 FP; >= 0.2: 3 TP 2 FP.
TEST(MetricsTest, CurvesHaveOnePointPerDistinctScoreAfterTheStart) {
  const std::vector<float> scores{0.9f, 0.8f, 0.8f, 0.4f, 0.2f};
  const std::vector<int> labels{1, 1, 0, 1, 0};
  const auto c = curves(scores, labels);
  const std::vector<RocPoint> roc{
      {0, 0, 0}, {0, 1.0 / 3, 0.9}, {0.5, 2.0 / 3, 0.8}, {0.5, 1, 0.4}, {1, 1, 0.2}};
  const std::vector<PrPoint> pr{
      {0, 1, 0}, {1.0 / 3, 1, 0.9}, {2.0 / 3, 2.0 / 3, 0.8}, {1, 0.75, 0.4}, {1, 0.6, 0.2}};
  ASSERT_EQ(c.roc.size(), roc.size());
  ASSERT_EQ(c.pr.size(), pr.size());
  EXPECT_GT(c.roc[0].threshold, 0.9f);  // just above the top score: flags nothing
  EXPECT_EQ(c.pr[0].threshold, c.roc[0].threshold);
  for (size_t i = 0; i < roc.size(); ++i) {
    EXPECT_NEAR(c.roc[i].fpr, roc[i].fpr, 1e-12) << i;
    EXPECT_NEAR(c.roc[i].tpr, roc[i].tpr, 1e-12) << i;
    EXPECT_NEAR(c.pr[i].recall, pr[i].recall, 1e-12) << i;
    EXPECT_NEAR(c.pr[i].precision, pr[i].precision, 1e-12) << i;
    if (i > 0) {
      EXPECT_FLOAT_EQ(c.roc[i].threshold, roc[i].threshold) << i;
      EXPECT_FLOAT_EQ(c.pr[i].threshold, pr[i].threshold) << i;
    }
  }
}

TEST(MetricsTest, CurvesAreThinnedKeepingBothEnds) {
  std::vector<float> scores;
  std::vector<int> labels;
  for (int i = 0; i < 5000; ++i) {
    scores.push_back(static_cast<float>(i) / 5000.0f);
    labels.push_back((i * 7919) % 10 < 3 + i / 1000 ? 1 : 0);
  }
  const auto c = curves(scores, labels, 200);
  ASSERT_LE(c.roc.size(), 200u);
  ASSERT_LE(c.pr.size(), 200u);
  EXPECT_GT(c.roc.size(), 100u);
  EXPECT_EQ(c.roc.front().fpr, 0);
  EXPECT_EQ(c.roc.front().tpr, 0);
  EXPECT_EQ(c.roc.back().fpr, 1);
  EXPECT_EQ(c.roc.back().tpr, 1);
  EXPECT_FLOAT_EQ(c.roc.back().threshold, 0);
  EXPECT_EQ(c.pr.front().recall, 0);
  EXPECT_EQ(c.pr.back().recall, 1);
  for (size_t i = 1; i < c.roc.size(); ++i) {
    EXPECT_LT(c.roc[i].threshold, c.roc[i - 1].threshold);  // highest threshold first
    EXPECT_GE(c.roc[i].fpr, c.roc[i - 1].fpr);
  }
}

TEST(MetricsTest, CurvesAreEmptyWithOneClass) {
  EXPECT_TRUE(curves(std::vector<float>{0.1f, 0.2f}, std::vector<int>{1, 1}).roc.empty());
}

}  // namespace
}  // namespace flowsentry::model
