#include "siem/circuit.h"

#include <gtest/gtest.h>

namespace flowsentry::siem {
namespace {

using Clock = CircuitBreaker::Clock;
using std::chrono::seconds;

TEST(CircuitBreakerTest, OpensAfterFailuresInARowAndDropsUntilItsTimeIsUp) {
  CircuitBreaker c({3, 10, 300});
  const Clock::time_point t0{};
  EXPECT_FALSE(c.failure(t0));
  EXPECT_FALSE(c.failure(t0));
  c.success();  // not in a row any more
  EXPECT_FALSE(c.failure(t0));
  EXPECT_FALSE(c.failure(t0));
  EXPECT_TRUE(c.failure(t0));
  EXPECT_EQ(c.state(), CircuitBreaker::State::kOpen);
  EXPECT_FALSE(c.allow(t0 + seconds(9)));
  EXPECT_TRUE(c.allow(t0 + seconds(10)));  // the probe
  EXPECT_TRUE(c.probing());
}

TEST(CircuitBreakerTest, AFailedProbeOpensItForTwiceAsLongAndASuccessfulOneCloses) {
  CircuitBreaker c({1, 10, 25});
  const Clock::time_point t0{};
  EXPECT_TRUE(c.failure(t0));
  ASSERT_TRUE(c.allow(t0 + seconds(10)));
  EXPECT_TRUE(c.failure(t0 + seconds(10)));  // the probe failed: open for 20 s
  EXPECT_FALSE(c.allow(t0 + seconds(29)));
  ASSERT_TRUE(c.allow(t0 + seconds(30)));
  EXPECT_TRUE(c.failure(t0 + seconds(30)));  // open for 25 s, the most
  EXPECT_FALSE(c.allow(t0 + seconds(54)));
  ASSERT_TRUE(c.allow(t0 + seconds(55)));
  c.success();
  EXPECT_EQ(c.state(), CircuitBreaker::State::kClosed);
  EXPECT_FALSE(c.probing());
  EXPECT_TRUE(c.allow(t0 + seconds(55)));
}

TEST(CircuitBreakerTest, ZeroFailuresNeverOpens) {
  CircuitBreaker c({0, 10, 300});
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(c.failure(Clock::time_point{}));
  EXPECT_TRUE(c.allow(Clock::time_point{}));
}

}  // namespace
}  // namespace flowsentry::siem
