#include "stream/capture_reader.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "meter/tests/scenarios.h"
#include "stream/live_source.h"
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

// `--data iface:`: flows still open when the capture stops (a closed TCP connection waits
// 10 s for stray packets, UDP 30 s) are flushed by finish_input(), not lost. A capture file
// stands in for the interface: its end is a link gone quiet.
TEST_F(CaptureReaderTest, LiveSourceFlushesOpenFlowsWhenInputFinishes) {
  const std::string path = dir_ + "/open.pcap";
  auto frames = t::tcp_handshake_close();
  for (const auto& f : t::udp_one_way()) frames.push_back(f);
  std::stable_sort(frames.begin(), frames.end(),
                   [](const t::Frame& a, const t::Frame& b) { return a.ts_us < b.ts_us; });
  ASSERT_TRUE(t::write_pcap(path, frames));
  auto pcap = PcapReader::open_file(path);
  ASSERT_TRUE(pcap.ok()) << pcap.error().to_string();
  auto source = LiveCaptureSource::over(std::move(pcap.value()), "test0");
  std::vector<flow::FlowRecord> out;
  for (int i = 0; i < 50; ++i) {  // without a wait, a call reads at least one packet
    auto n = source->next_batch(out, 100, std::chrono::milliseconds(0));
    ASSERT_TRUE(n.ok());
  }
  EXPECT_TRUE(out.empty()) << "both flows are still open";
  EXPECT_FALSE(source->at_end());
  EXPECT_TRUE(source->finish_input());
  while (!source->at_end()) {
    auto n = source->next_batch(out, 1, std::chrono::milliseconds(0));
    ASSERT_TRUE(n.ok());
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].proto, "tcp");  // ordered by last time
  EXPECT_EQ(out[0].state, "FIN");
  EXPECT_EQ(out[1].proto, "udp");
  EXPECT_EQ(out[0].key.source, path);
  EXPECT_EQ(out[1].key.offset, out[0].key.offset + 1);
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
