#include "common/assist.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace flowsentry {
namespace {

TEST(AssistTest, RunsTheTaskOnAnotherThreadAndWaitSeesItsWrites) {
  auto& assist = Assist::global();
  for (int i = 0; i < 200; ++i) {
    std::vector<int> half(1000, 0);
    std::thread::id ran_on;
    ASSERT_TRUE(assist.start([&] {
      ran_on = std::this_thread::get_id();
      for (auto& v : half) v = i;
    }));
    assist.wait();
    EXPECT_NE(ran_on, std::this_thread::get_id());
    EXPECT_EQ(half.front(), i);
    EXPECT_EQ(half.back(), i);
  }
}

TEST(AssistTest, ASecondCallerIsTurnedAwayUntilTheFirstHasWaited) {
  auto& assist = Assist::global();
  std::atomic<bool> release{false};
  ASSERT_TRUE(assist.start([&] {
    while (!release) std::this_thread::yield();
  }));
  bool second = true;
  std::thread other([&] { second = assist.start([] {}); });
  other.join();
  EXPECT_FALSE(second) << "the helper took a second task while holding the first";
  release = true;
  assist.wait();
  ASSERT_TRUE(assist.start([] {}));
  assist.wait();
}

TEST(AssistTest, PrimeAloneRunsNothingAndTheNextStartStillWorks) {
  auto& assist = Assist::global();
  assist.prime();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the spin: back to sleep
  int ran = 0;
  ASSERT_TRUE(assist.start([&] { ++ran; }));
  assist.wait();
  EXPECT_EQ(ran, 1);
}

}  // namespace
}  // namespace flowsentry
