#include "meter/flow_index.h"

#include <random>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace flowsentry::meter {
namespace {

uint32_t find_id(const FlowIndex& index, uint32_t hash, uint32_t id) {
  return index.find(hash, [&](uint32_t candidate) { return candidate == id; });
}

// Few distinct hashes, so entries share runs and erasing shifts others back; every present
// entry stays findable and every erased one is gone, through several doublings.
TEST(FlowIndexTest, InsertsAndErasesKeepEveryEntryFindable) {
  FlowIndex index;
  std::vector<std::pair<uint32_t, uint32_t>> present;  // (id, hash)
  std::mt19937 rng(3);
  uint32_t next_id = 0;
  for (int step = 0; step < 5000; ++step) {
    if (present.empty() || rng() % 3 != 0) {
      const uint32_t hash = rng() % 64 == 0 ? 0xFFFFFFFFu : (rng() % 200) * 1021;
      index.insert(hash, next_id);
      present.emplace_back(next_id++, hash);
    } else {
      const size_t k = rng() % present.size();
      const auto [id, hash] = present[k];
      index.erase(hash, id);
      EXPECT_EQ(find_id(index, hash, id), FlowIndex::kAbsent);
      present[k] = present.back();
      present.pop_back();
    }
    ASSERT_EQ(index.size(), present.size());
    ASSERT_LE(index.size() * 2, index.capacity());
  }
  for (auto [id, hash] : present) EXPECT_EQ(find_id(index, hash, id), id);
}

TEST(FlowIndexTest, FindStopsAtTheFirstMatchOfItsHash) {
  FlowIndex index;
  EXPECT_EQ(find_id(index, 5, 1), FlowIndex::kAbsent);
  index.insert(5, 1);
  index.insert(5, 2);
  index.insert(6, 3);
  EXPECT_EQ(index.find(5, [](uint32_t) { return true; }), 1u);
  EXPECT_EQ(find_id(index, 5, 2), 2u);
  EXPECT_EQ(find_id(index, 6, 2), FlowIndex::kAbsent);  // right id, other hash
  index.erase(5, 1);
  EXPECT_EQ(index.find(5, [](uint32_t) { return true; }), 2u);
  index.erase(5, 9);  // absent: nothing happens
  EXPECT_EQ(index.size(), 2u);
}

}  // namespace
}  // namespace flowsentry::meter
