#include "stream/rate_limiter.h"

#include <gtest/gtest.h>

namespace flowsentry::stream {
namespace {

using std::chrono::milliseconds;

TEST(RateLimiterTest, UnlimitedGrantsEverything) {
  RateLimiter r(0);
  EXPECT_EQ(r.take(12345), 12345u);
}

TEST(RateLimiterTest, GrantsTokensInProportionToElapsedTime) {
  RateLimiter r(1000, 1000);
  auto t0 = RateLimiter::Clock::now() + milliseconds(1);
  r.take_at(1000000, t0);  // drain whatever accrued since construction
  EXPECT_EQ(r.take_at(1000, t0), 0u);
  EXPECT_EQ(r.take_at(1000, t0 + milliseconds(100)), 100u);
  EXPECT_EQ(r.take_at(1000, t0 + milliseconds(350)), 250u);
}

TEST(RateLimiterTest, BurstCapsTheSavedUpTokens) {
  RateLimiter r(1000, 50);
  auto t0 = RateLimiter::Clock::now() + milliseconds(1);
  r.take_at(1000000, t0);
  EXPECT_EQ(r.take_at(1000, t0 + std::chrono::seconds(10)), 50u);
}

TEST(RateLimiterTest, TakesNoMoreThanWanted) {
  RateLimiter r(1000, 1000);
  auto t0 = RateLimiter::Clock::now() + milliseconds(1);
  r.take_at(1000000, t0);
  EXPECT_EQ(r.take_at(10, t0 + milliseconds(500)), 10u);
  EXPECT_EQ(r.take_at(1000, t0 + milliseconds(500)), 490u);
}

}  // namespace
}  // namespace flowsentry::stream
