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

TEST(RateLimiterTest, AllowsABurstThenTheAverageRate) {
  RateLimiter r(6, 2);  // one per 10 s, two at once
  EXPECT_TRUE(r.try_acquire(0));
  EXPECT_TRUE(r.try_acquire(0));
  EXPECT_FALSE(r.try_acquire(1));
  EXPECT_TRUE(r.try_acquire(11));
  EXPECT_FALSE(r.try_acquire(12));
}

TEST(RateLimiterTest, ZeroRateMeansUnlimited) {
  RateLimiter r(0, 1);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(r.try_acquire(0));
}

}  // namespace
}  // namespace flowsentry::detect
