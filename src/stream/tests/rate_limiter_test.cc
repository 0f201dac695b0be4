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
TEST(RateLimiterTest, AcquireWakesForAMillisecondsWorthAtFastRates) {
  RateLimiter r(10000);  // a token every 100 us: waking for each would be 10k wake-ups a second
  const auto t0 = RateLimiter::Clock::now();
  size_t total = 0, calls = 0;
  while (total < 500) {
    const size_t n = r.acquire(1024, milliseconds(100));
    EXPECT_GE(n, 10u) << "call " << calls << " woke for less than a millisecond's worth";
    total += n;
    ++calls;
  }
  EXPECT_LE(calls, 50u);
  // Still the rate: 500 tokens at 10k/s take about 50 ms (the bucket starts empty).
  EXPECT_GE(RateLimiter::Clock::now() - t0, milliseconds(45));
}

TEST(RateLimiterTest, AcquireAtSlowRatesWaitsForOneToken) {
  RateLimiter r(200);  // a token every 5 ms; ten take 50 ms
  const auto start = RateLimiter::Clock::now();
  const size_t n = r.acquire(10, milliseconds(100));
  const auto waited = RateLimiter::Clock::now() - start;
  EXPECT_GE(n, 1u);
  // It returns once one token is there, not when all ten are (unless the machine was so busy
  // that the wake-up came that late).
  if (waited < milliseconds(40)) {
    EXPECT_LT(n, 10u) << "waited for all ten";
  }
}

}  // namespace flowsentry::stream
