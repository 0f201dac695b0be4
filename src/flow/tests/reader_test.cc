#include "flow/reader.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "flow/tests/fixtures.h"

namespace flowsentry::flow {
namespace {

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(ReaderTest, SniffsCsv) {
  auto path = write_temp("fs_reader.csv", testing::kHeader + "\n" + testing::kRowUdp + "\n");
  auto r = open_flow_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_STREQ((*r)->format(), "csv");
  EXPECT_TRUE((*r)->has_labels());
  FlowRecord rec;
  FieldProblem p;
  EXPECT_EQ((*r)->next(rec, p), FlowReader::Next::kRecord);
  std::remove(path.c_str());
}

TEST(ReaderTest, SniffsJsonLinesAndCountsLines) {
  auto path = write_temp("fs_reader.jsonl", testing::kJsonHttp + "\n\n{\"dur\":1}\n");
  auto r = open_flow_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_STREQ((*r)->format(), "jsonl");
  FlowRecord rec;
  FieldProblem p;
  EXPECT_EQ((*r)->next(rec, p), FlowReader::Next::kRecord);
  EXPECT_EQ((*r)->line(), 1);
  EXPECT_EQ((*r)->next(rec, p), FlowReader::Next::kInvalid);
  EXPECT_EQ((*r)->line(), 3);
  EXPECT_EQ(p.reason, "missing_field");
  EXPECT_EQ((*r)->next(rec, p), FlowReader::Next::kEnd);
  std::remove(path.c_str());
}

TEST(ReaderTest, MissingFileIsNotFound) {
  auto r = open_flow_file("/nonexistent/flows.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(read_valid_flows("/nonexistent/flows.csv").error().code, ErrorCode::kNotFound);
}

TEST(ReaderTest, ReadValidFlowsKeepsTheValidRowsInOrder) {
  auto path = write_temp("fs_reader_all.jsonl",
                         testing::kJsonHttp + "\n{\"dur\":1}\n" + testing::kJsonHttp + "\n");
  auto rows = read_valid_flows(path);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].service, "http");
  EXPECT_EQ((*rows)[1].service, "http");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace flowsentry::flow
