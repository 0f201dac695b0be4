// Reads the real UNSW-NB15 files; skipped when the data set folder is absent.
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "flow/reader.h"

namespace flowsentry::flow {
namespace {

const std::string kDir = FLOWSENTRY_DATASET_DIR;

TEST(DatasetTest, TestCsvHasEveryRowValid) {
  auto path = kDir + "/test.csv";
  if (!std::filesystem::exists(path)) GTEST_SKIP() << "UNSW-NB15 not found at " << kDir;
  auto r = open_flow_file(path);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  FlowRecord rec;
  FieldProblem p;
  size_t valid = 0, invalid = 0;
  std::map<std::string, size_t> cats;
  for (auto n = (*r)->next(rec, p); n != FlowReader::Next::kEnd; n = (*r)->next(rec, p)) {
    if (n == FlowReader::Next::kInvalid) {
      ++invalid;
      ADD_FAILURE() << "line " << (*r)->line() << ": " << p.field << " " << p.problem;
      continue;
    }
    ++valid;
    ++cats[*rec.attack_cat];
  }
  EXPECT_EQ(valid, 12350u);
  EXPECT_EQ(invalid, 0u);
  // Class counts from the data set's README.
  EXPECT_EQ(cats["Normal"], 5550u);
  EXPECT_EQ(cats["Worms"], 7u);
}

}  // namespace
}  // namespace flowsentry::flow
