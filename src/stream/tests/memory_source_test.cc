#include <gtest/gtest.h>

#include <chrono>
#include <vector>

#include "stream/memory_source.h"

namespace flowsentry::stream {
namespace {

std::vector<flow::FlowRecord> three_flows() {
  std::vector<flow::FlowRecord> flows(3);
  for (size_t i = 0; i < flows.size(); ++i) flows[i][flow::kSbytes] = static_cast<double>(i);
  return flows;
}

TEST(MemorySourceTest, ReplaysItsFlowsInALoopWithSequenceKeysUntilTheCount) {
  MemorySource source(three_flows(), {.name = "bench", .count = 7});
  std::vector<flow::FlowRecord> out;
  while (!source.at_end()) ASSERT_TRUE(source.next_batch(out, 5, std::chrono::milliseconds(0)));
  ASSERT_EQ(out.size(), 7u);
  for (size_t i = 0; i < out.size(); ++i) {
    EXPECT_EQ(out[i][flow::kSbytes], static_cast<double>(i % 3)) << i;
    EXPECT_EQ(out[i].key.source, "bench");
    EXPECT_EQ(out[i].key.offset, static_cast<int64_t>(i));
    EXPECT_TRUE(out[i].stime.has_value());
  }
  EXPECT_EQ(source.sent(), 7u);
  EXPECT_EQ(*source.next_batch(out, 5, std::chrono::milliseconds(0)), 0u);
}

TEST(MemorySourceTest, WithoutFlowsItEndsAtOnce) {
  MemorySource source({}, {});
  std::vector<flow::FlowRecord> out;
  EXPECT_TRUE(source.at_end());
  EXPECT_EQ(*source.next_batch(out, 5, std::chrono::milliseconds(0)), 0u);
}

}  // namespace
}  // namespace flowsentry::stream
