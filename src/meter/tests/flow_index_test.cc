#include "meter/flow_index.h"

#include <map>
#include <random>

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
  std::map<uint32_t, uint32_t> present;  // id -> hash
  std::mt19937 rng(3);
  uint32_t next_id = 0;
  for (int step = 0; step < 20000; ++step) {
    if (present.empty() || rng() % 3 != 0) {
      const uint32_t hash = rng() % 64 == 0 ? 0xFFFFFFFFu : (rng() % 40) * 1021;
      index.insert(hash, next_id);
      present[next_id++] = hash;
    } else {
      auto it = present.begin();
      std::advance(it, rng() % present.size());
      index.erase(it->second, it->first);
      EXPECT_EQ(find_id(index, it->second, it->first), FlowIndex::kAbsent);
      present.erase(it);
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
