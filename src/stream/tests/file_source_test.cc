#include "stream/file_source.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "flow/tests/fixtures.h"

namespace flowsentry::stream {
namespace {

namespace ft = flow::testing;

class FileSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flowsentry-file-source-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    auto path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

std::vector<flow::FlowRecord> drain(Source& src, size_t batch = 2) {
  std::vector<flow::FlowRecord> out;
  for (int guard = 0; !src.at_end() && guard < 1000; ++guard) {
    auto n = src.next_batch(out, batch, std::chrono::milliseconds(10));
    EXPECT_TRUE(n.ok());
  }
  return out;
}

TEST_F(FileSourceTest, ReplaysEveryRowWithPathAndLineAsKey) {
  auto path = write(
      "a.csv", ft::kHeader + "\n" + ft::kRowHttp + "\n" + ft::kRowUdp + "\n" + ft::kRowHttp + "\n");
  auto src = FileSource::open(path);
  ASSERT_TRUE(src.ok()) << src.error().to_string();
  auto flows = drain(**src);
  ASSERT_EQ(flows.size(), 3u);
  EXPECT_EQ(flows[0].key.source, path);
  EXPECT_EQ(flows[0].key.partition, 0);
  EXPECT_EQ(flows[0].key.offset, 2);
  EXPECT_EQ(flows[1].key.offset, 3);
  EXPECT_EQ(flows[1].proto, "udp");
  EXPECT_EQ(flows[2].key.offset, 4);
}

TEST_F(FileSourceTest, BadRowsAreRejectedWithTheirLineAndTheRestGoesOn) {
  std::string bad = ft::kRowHttp;
  bad.replace(bad.find(",10,10,"), 7, ",-10,10,");
  auto path =
      write("b.csv", ft::kHeader + "\n" + ft::kRowHttp + "\n" + bad + "\n" + ft::kRowUdp + "\n");
  auto src = FileSource::open(path);
  ASSERT_TRUE(src.ok());
  auto flows = drain(**src);
  EXPECT_EQ(flows.size(), 2u);
  std::vector<Rejected> rejected;
  (*src)->take_rejected(rejected);
  ASSERT_EQ(rejected.size(), 1u);
  EXPECT_EQ(rejected[0].key.offset, 3);
  EXPECT_EQ(rejected[0].problem.field, "spkts");
  EXPECT_EQ(rejected[0].problem.reason, "negative");
  rejected.clear();
  (*src)->take_rejected(rejected);
  EXPECT_TRUE(rejected.empty());
}

TEST_F(FileSourceTest, JsonLinesAreReplayedToo) {
  auto path = write("c.jsonl", ft::kJsonHttp + "\n" + ft::kJsonHttp + "\n");
  auto src = FileSource::open(path);
  ASSERT_TRUE(src.ok());
  auto flows = drain(**src);
  ASSERT_EQ(flows.size(), 2u);
  EXPECT_EQ(flows[1].key.offset, 2);
  EXPECT_EQ(flows[1].service, "http");
}

TEST_F(FileSourceTest, LoopStartsAgainWithANewPassInTheKey) {
  auto path = write("d.csv", ft::kHeader + "\n" + ft::kRowHttp + "\n" + ft::kRowUdp + "\n");
  FileSourceOptions o;
  o.loop = true;
  o.max_records = 5;
  auto src = FileSource::open(path, o);
  ASSERT_TRUE(src.ok());
  auto flows = drain(**src, 3);
  ASSERT_EQ(flows.size(), 5u);
  EXPECT_EQ(flows[2].key.partition, 1);
  EXPECT_EQ(flows[2].key.offset, 2);
  EXPECT_EQ(flows[4].key.partition, 2);
  EXPECT_EQ((*src)->pass(), 2);
}

TEST_F(FileSourceTest, LoopOverAFileWithNoValidRowEnds) {
  auto path = write("e.csv", ft::kHeader + "\n" + "1,2,3\n");
  FileSourceOptions o;
  o.loop = true;
  auto src = FileSource::open(path, o);
  ASSERT_TRUE(src.ok());
  EXPECT_TRUE(drain(**src).empty());
  EXPECT_TRUE((*src)->at_end());
}

TEST_F(FileSourceTest, MissingFileSaysWhich) {
  auto src = FileSource::open((dir_ / "nope.csv").string());
  ASSERT_FALSE(src.ok());
  EXPECT_EQ(src.error().code, ErrorCode::kNotFound);
  EXPECT_NE(src.error().to_string().find("nope.csv"), std::string::npos);
}

}  // namespace
}  // namespace flowsentry::stream
