#include "detect/noise.h"

#include <gtest/gtest.h>

namespace flowsentry::detect {
namespace {

TEST(CooldownTest, SuppressesTheSameKeyUntilTheCooldownEnds) {
  Cooldown c(600);
  EXPECT_TRUE(c.admit("burst:tcp/http/FIN", 1000));
  EXPECT_FALSE(c.admit("burst:tcp/http/FIN", 1599));
  EXPECT_TRUE(c.admit("burst:udp/dns/INT", 1599)) << "another key is another alert";
  EXPECT_TRUE(c.admit("burst:tcp/http/FIN", 1600));
  EXPECT_EQ(c.suppressed(), 1u);
}

TEST(CooldownTest, ForgetsExpiredKeysWhenFull) {
  Cooldown c(10, 2);
  EXPECT_TRUE(c.admit("a", 0));
  EXPECT_TRUE(c.admit("b", 5));
  EXPECT_TRUE(c.admit("c", 12));  // "a" expired and is forgotten
  EXPECT_EQ(c.keys(), 2u);
  EXPECT_FALSE(c.admit("b", 13));
}

TEST(CooldownAdversarialTest, WhenFullOnlyTheOldestKeyIsForgotten) {
  Cooldown c(600, 3);
  EXPECT_TRUE(c.admit("a", 0));
  EXPECT_TRUE(c.admit("b", 1));
  EXPECT_TRUE(c.admit("c", 2));
  EXPECT_TRUE(c.admit("d", 3));  // full, none expired: "a" goes early
  EXPECT_EQ(c.keys(), 3u);
  EXPECT_EQ(c.evicted(), 1u);
  // Clearing the map here re-admitted every key: a flood of duplicates.
  EXPECT_FALSE(c.admit("b", 4));
  EXPECT_FALSE(c.admit("c", 4));
  EXPECT_FALSE(c.admit("d", 4));
}

TEST(CooldownAdversarialTest, AFloodOfNewKeysStaysBounded) {
  Cooldown c(600, 1000);
  for (int i = 0; i < 100000; ++i) c.admit("k" + std::to_string(i), i * 0.001);
  EXPECT_EQ(c.keys(), 1000u);
  EXPECT_FALSE(c.admit("k99999", 100.5)) << "the newest keys keep their cooldown";
}

TEST(RateLimiterTest, AllowsABurstThenTheAverageRate) {
  RateLimiter r(6, 2);  // one per 10 s, two at once
  EXPECT_TRUE(r.try_acquire(0));
  EXPECT_TRUE(r.try_acquire(0));
  EXPECT_FALSE(r.try_acquire(1));
  EXPECT_TRUE(r.try_acquire(11));
  EXPECT_FALSE(r.try_acquire(12));
}

TEST(RateLimiterTest, SaysHowLongUntilTheNextToken) {
  RateLimiter r(6, 1);  // one per 10 s
  EXPECT_EQ(r.wait_seconds(0), 0);
  EXPECT_TRUE(r.try_acquire(0));
  EXPECT_NEAR(r.wait_seconds(4), 6, 1e-9);
  EXPECT_EQ(r.wait_seconds(10), 0);
}

TEST(RateLimiterTest, ZeroRateMeansUnlimited) {
  RateLimiter r(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(r.try_acquire(0));
}

}  // namespace
}  // namespace flowsentry::detect
