#include "stream/capture_reader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "meter/tests/scenarios.h"
#include "stream/pcap_reader.h"

namespace flowsentry::stream {
namespace {

namespace t = meter::testing;

class CaptureReaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capture_reader_XXXXXX";
    dir_ = mkdtemp(tmpl);
    register_capture_format();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(CaptureReaderTest, ACaptureIsAFlowFile) {
  const std::string path = dir_ + "/ping.pcap";
  ASSERT_TRUE(t::write_pcap(path, t::icmp_echo()));
  EXPECT_TRUE(looks_like_capture(path));
  auto reader = flow::open_flow_file(path);
  ASSERT_TRUE(reader.ok()) << reader.error().to_string();
  EXPECT_STREQ((*reader)->format(), "pcap");
  EXPECT_FALSE((*reader)->has_labels());
  flow::FlowRecord rec;
  flow::FieldProblem problem;
  int n = 0;
  while ((*reader)->next(rec, problem) == flow::FlowReader::Next::kRecord) {
    ++n;
    EXPECT_EQ(rec.proto, "icmp");
    EXPECT_EQ(rec.state, "ECO");
    EXPECT_EQ(rec.key.source, path);
    EXPECT_EQ(rec.key.offset, n);
    EXPECT_EQ(*rec.srcip, "10.0.0.1");
  }
  EXPECT_EQ(n, 4);
}

TEST_F(CaptureReaderTest, CsvFilesStillReadAsCsv) {
  const std::string path = dir_ + "/flows.csv";
  std::ofstream(path) << flow::identity_csv_header() << "\n";
  EXPECT_FALSE(looks_like_capture(path));
  auto reader = flow::open_flow_file(path);
  ASSERT_TRUE(reader.ok());
  EXPECT_STRNE((*reader)->format(), "pcap");
}

TEST_F(CaptureReaderTest, PcapngIsRecognised) {
  const std::string path = dir_ + "/x.pcapng";
  std::ofstream(path, std::ios::binary) << std::string("\x0a\x0d\x0d\x0a", 4);
  EXPECT_TRUE(looks_like_capture(path));
}

}  // namespace
}  // namespace flowsentry::stream
