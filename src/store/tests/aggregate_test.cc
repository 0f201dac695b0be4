#include "store/aggregate.h"

#include <gtest/gtest.h>

namespace flowsentry::store {
namespace {

TEST(BucketSizeTest, PicksAtMost360PointsFromTheFixedSteps) {
  EXPECT_EQ(bucket_seconds_for(600), 10);
  EXPECT_EQ(bucket_seconds_for(3600), 10);
  EXPECT_EQ(bucket_seconds_for(3601), 30);
  EXPECT_EQ(bucket_seconds_for(6 * 3600), 60);
  EXPECT_EQ(bucket_seconds_for(24 * 3600), 300);
  EXPECT_EQ(bucket_seconds_for(7 * 86400), 1800);
  EXPECT_EQ(bucket_seconds_for(1e9), 86400);
}

TEST(PlanReadsTest, ShortWindowsReadRawRowsOnly) {
  auto p = plan_reads({100.5, 700}, 10);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rollup, 0);
}

TEST(PlanReadsTest, LongWindowsReadTheAlignedMiddleFromARollup) {
  auto p = plan_reads({1005.5, 4607}, 10);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].lo, 1005.5);
  EXPECT_EQ(p[0].hi, 1010);
  EXPECT_EQ(p[0].rollup, 0);
  EXPECT_EQ(p[1].lo, 1010);
  EXPECT_EQ(p[1].hi, 4600);
  EXPECT_EQ(p[1].rollup, kRollupFine);
  EXPECT_EQ(p[2].lo, 4600);
  EXPECT_EQ(p[2].hi, 4607);
}

TEST(PlanReadsTest, TheCoarseRollupServesBucketsItDivides) {
  auto p = plan_reads({0, 86400}, 300);
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].rollup, kRollupCoarse);
  EXPECT_EQ(plan_reads({0, 86400}, 30)[0].rollup, kRollupFine);
  EXPECT_EQ(plan_reads({0, 86400}, 0)[0].rollup, kRollupCoarse);  // not grouped by time
}

TEST(MergeTest, MixKeepsTopKAndSumsTheRestIntoOther) {
  std::vector<AggRow> rows{{"tcp", 0, 50}, {"tcp", 1, 10}, {"udp", 0, 30},
                           {"arp", 1, 5},  {"ospf", 0, 2}, {"udp", 0, 1}};
  auto m = merge_mix(rows, 2);
  ASSERT_EQ(m.entries.size(), 3u);
  EXPECT_EQ(m.entries[0].value, "tcp");
  EXPECT_EQ(m.entries[0].normal, 50);
  EXPECT_EQ(m.entries[0].anomaly, 10);
  EXPECT_EQ(m.entries[1].value, "udp");
  EXPECT_EQ(m.entries[1].normal, 31);
  EXPECT_EQ(m.entries[2].value, "other");
  EXPECT_EQ(m.entries[2].normal, 2);
  EXPECT_EQ(m.entries[2].anomaly, 5);
  EXPECT_EQ(merge_mix(rows, 10).entries.size(), 4u);  // no "other" when all fit
}

TEST(MergeTest, SeriesMergesPartialReadsOfTheSameBucket) {
  std::vector<AggRow> rows{{"100", 0, 3, 0.3}, {"100", 1, 1, 0.9}, {"110", 0, 2, 0.2}};
  auto s = merge_score_series(rows, 10);
  ASSERT_EQ(s.points.size(), 2u);
  EXPECT_EQ(s.points[0].t, 100);
  EXPECT_EQ(s.points[0].count, 4);
  EXPECT_EQ(s.points[0].anomalies, 1);
  EXPECT_DOUBLE_EQ(s.points[0].avg_score, 0.3);
  EXPECT_EQ(s.points[1].anomalies, 0);
}

}  // namespace
}  // namespace flowsentry::store
