#include "model/calibrate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace flowsentry::model {
namespace {

std::vector<float> ramp(int n) {  // 0, 1/n, ..., (n-1)/n, shuffled order does not matter
  std::vector<float> s;
  for (int i = n - 1; i >= 0; --i) s.push_back(static_cast<float>(i) / static_cast<float>(n));
  return s;
}

TEST(ChooseThreshold, FlagsAtMostTheTargetShare) {
  auto s = ramp(1000);
  auto c = choose_threshold(s, 0.01, 0.5);
  ASSERT_TRUE(c.ok());
  EXPECT_LE(c->rate, 0.01);
  EXPECT_DOUBLE_EQ(c->rate, 0.01);  // exactly the 10 largest of 1,000 distinct scores
  EXPECT_GT(c->threshold, 0.989);
  EXPECT_LE(c->threshold, 0.990001);
  EXPECT_FALSE(c->saturated);
}

TEST(ChooseThreshold, TiesAtTheCutAreAllLeftBelow) {
  std::vector<float> s(100, 0.9f);  // 100 identical normal scores
  s.push_back(0.1f);
  auto c = choose_threshold(s, 0.05, 0.5);
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c->threshold, static_cast<double>(0.9f));
  EXPECT_EQ(c->rate, 0);
  EXPECT_EQ(flagged_share(s, c->threshold), 0);
}

TEST(ChooseThreshold, NeverBelowTheValidationThreshold) {
  auto s = ramp(100);
  for (auto& v : s) v *= 0.2f;  // a quiet site: every score far below the model's threshold
  auto c = choose_threshold(s, 0.01, 0.7);
  ASSERT_TRUE(c.ok());
  EXPECT_DOUBLE_EQ(c->threshold, 0.7);
  EXPECT_EQ(c->rate, 0);
}

TEST(ChooseThreshold, ScoresOfOneSaturate) {
  std::vector<float> s(50, 1.0f);
  auto c = choose_threshold(s, 0.01, 0.5);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->saturated);
  EXPECT_DOUBLE_EQ(c->threshold, 1.0);
  EXPECT_EQ(c->rate, 1.0);  // said, not hidden: such a sample cannot be calibrated away
}

TEST(ChooseThreshold, RefusesAnEmptySampleAndABadTarget) {
  std::vector<float> none;
  EXPECT_EQ(choose_threshold(none, 0.01, 0.5).error().code, ErrorCode::kInvalidArgument);
  auto s = ramp(10);
  EXPECT_FALSE(choose_threshold(s, 1.0, 0.5).ok());
  EXPECT_FALSE(choose_threshold(s, -0.1, 0.5).ok());
}

TEST(FlaggedShare, CountsScoresAtOrAboveTheThreshold) {
  std::vector<float> s{0.1f, 0.5f, 0.5f, 0.9f};
  EXPECT_DOUBLE_EQ(flagged_share(s, 0.5), 0.75);
  EXPECT_DOUBLE_EQ(flagged_share({}, 0.5), 0);
}

}  // namespace
}  // namespace flowsentry::model

namespace flowsentry::model {
namespace {

TEST(RateUpperBound, MatchesTheRuleOfThreeAndClopperPearson) {
  // No successes in n: 1 - (1 - c)^(1/n), about 3/n at 95 %.
  EXPECT_NEAR(rate_upper_bound(0, 218, 0.95), 1 - std::pow(0.05, 1.0 / 218), 1e-9);
  EXPECT_NEAR(rate_upper_bound(0, 300, 0.95), 0.00994, 1e-4);
  // Clopper-Pearson one-sided 95 % for 5 of 1,000 (R: binom.test(5, 1000, alt = "less")).
  EXPECT_NEAR(rate_upper_bound(5, 1000, 0.95), 0.01043, 2e-4);
  // Wilson's bound takes over for large counts and stays close to the exact one.
  EXPECT_NEAR(rate_upper_bound(3000, 1000000, 0.95), 0.00309, 2e-4);
  EXPECT_EQ(rate_upper_bound(10, 10, 0.95), 1);
}

TEST(ChooseThreshold, WithAConfidenceASmallSampleLeavesNoFlowFlaggedAndSaysHowManyAreNeeded) {
  auto s = ramp(218);
  auto c = choose_threshold(s, 0.01, 0.5, 0.95);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->allowed, 0);
  EXPECT_EQ(c->rate, 0);
  EXPECT_EQ(c->flows_needed, 299);
  EXPECT_GT(c->rate_bound, 0.01);
}

TEST(ChooseThreshold, WithAConfidenceALargeSampleKeepsItsBoundUnderTheTarget) {
  auto s = ramp(20000);
  auto c = choose_threshold(s, 0.01, 0.5, 0.95);
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c->allowed, 150);  // fewer than the plain 200: the bound, not the share, is held
  EXPECT_LT(c->allowed, 200);
  EXPECT_LE(c->rate_bound, 0.01);
  EXPECT_EQ(c->flows_needed, 0);
}

}  // namespace
}  // namespace flowsentry::model
