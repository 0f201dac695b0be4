// `flowsentry capture` end to end on crafted pcaps: exit codes, columns, and that `check`
// reads what it writes.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "common/testing/shell.h"

#include "meter/tests/scenarios.h"

namespace {

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& cmd) {
  auto r = flowsentry::testing::shell_run(cmd + " 2>&1");
  return {r.code, r.out};
}

class CaptureCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/capture_cli_XXXXXX";
    dir_ = mkdtemp(tmpl);
    namespace t = flowsentry::meter::testing;
    ASSERT_TRUE(t::write_pcap(dir_ + "/tcp.pcap", t::tcp_handshake_close()));
    ASSERT_TRUE(t::write_pcap(dir_ + "/ping.pcap", t::icmp_echo()));
  }
  void TearDown() override { run("rm -rf " + dir_); }
  std::string dir_;
  const std::string bin_ = FLOWSENTRY_BINARY;
};

TEST_F(CaptureCliTest, WritesIdentityThenTrainingColumnsReadableByCheck) {
  auto r = run(bin_ + " capture --pcap " + dir_ + "/tcp.pcap --pcap " + dir_ + "/ping.pcap --out " +
               dir_ + "/flows.csv");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("18 packets, 5 flows, 5 records written, 0 packets skipped"),
            std::string::npos)
      << r.out;
  std::ifstream in(dir_ + "/flows.csv");
  std::string header, line, tcp;
  std::getline(in, header);
  while (std::getline(in, line)) {
    if (line.find(",tcp,") != std::string::npos) tcp = line;
  }
  EXPECT_TRUE(header.starts_with("stime,ltime,srcip,sport,dstip,dsport,dur,proto,service,state,"))
      << header;
  EXPECT_TRUE(header.ends_with(",is_sm_ips_ports")) << header;
  EXPECT_TRUE(
      tcp.starts_with("1700000000.000000,1700000000.005000,10.0.0.1,40000,10.0.0.2,80,"
                      "0.005,tcp,http,FIN,6,4,355,263,"))
      << tcp;
  auto check = run(bin_ + " check --data " + dir_ + "/flows.csv");
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_NE(check.out.find("rows: 5 valid, 0 invalid"), std::string::npos) << check.out;
}

TEST_F(CaptureCliTest, CheckAndScoreReadCapturesDirectly) {
  auto check = run(bin_ + " check --data " + dir_ + "/ping.pcap");
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_NE(check.out.find("(pcap)"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("rows: 4 valid, 0 invalid"), std::string::npos) << check.out;
  auto score = run(bin_ + " score --model " + std::string(FLOWSENTRY_SOURCE_DIR) +
                   "/models/default --data " + dir_ + "/tcp.pcap");
  EXPECT_EQ(score.code, 0) << score.out;
  EXPECT_NE(score.out.find("1 flows scored"), std::string::npos) << score.out;
}

TEST_F(CaptureCliTest, LiveCaptureOnLoopbackWritesFlows) {
  if (geteuid() != 0) GTEST_SKIP() << "live capture needs root or CAP_NET_RAW";
  auto r =
      run("( " + bin_ + " capture --iface lo --bpf 'udp port 18093' --duration 2 --out " + dir_ +
          "/live.csv & sleep 0.7; python3 -c \"import socket,time\n"
          "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
          "for i in range(3): s.sendto(b'x',('127.0.0.1',18093)); time.sleep(0.05)\"; wait )");
  EXPECT_NE(r.out.find("3 packets, 1 flows, 1 records written"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("libpcap:"), std::string::npos) << r.out;
  std::ifstream in(dir_ + "/live.csv");
  std::string header, row;
  std::getline(in, header);
  std::getline(in, row);
  EXPECT_NE(row.find(",127.0.0.1,18093,"), std::string::npos) << row;
  EXPECT_NE(row.find(",udp,-,INT,3,0,"), std::string::npos) << row;
  EXPECT_EQ(run(bin_ + " capture --iface no_such_if0 --duration 1").code, 1);
}

TEST_F(CaptureCliTest, UsageAndRuntimeErrorsHaveTheirExitCodes) {
  EXPECT_EQ(run(bin_ + " capture").code, 2);
  EXPECT_EQ(run(bin_ + " capture --pcap " + dir_ + "/missing.pcap").code, 2);
  EXPECT_EQ(run(bin_ + " capture --pcap " + dir_ + "/tcp.pcap --format xml").code, 2);
  EXPECT_EQ(run(bin_ + " capture --pcap " + dir_ + "/tcp.pcap --iface lo").code, 2);
  EXPECT_EQ(run(bin_ + " capture --pcap " + dir_ + "/tcp.pcap --bpf 'tcp'").code, 2);
  std::ofstream(dir_ + "/not_a_capture.pcap") << "hello";
  EXPECT_EQ(run(bin_ + " capture --pcap " + dir_ + "/not_a_capture.pcap").code, 1);
  EXPECT_EQ(run(bin_ + " capture --help").code, 0);
}

TEST_F(CaptureCliTest, DamagedCaptureKeepsThePacketsBeforeTheDamage) {
  ASSERT_EQ(run("head -c 300 " + dir_ + "/ping.pcap > " + dir_ + "/cut.pcap").code, 0);
  auto r = run(bin_ + " capture --pcap " + dir_ + "/cut.pcap --out " + dir_ + "/cut.csv");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("damaged capture"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1 records written"), std::string::npos) << r.out;
}

}  // namespace

namespace {

// Share of `score` output lines with "label":1.
double flagged(const std::string& out) {
  size_t lines = 0, flagged = 0, pos = 0;
  while ((pos = out.find("{\"id\"", pos)) != std::string::npos) {
    auto end = out.find('\n', pos);
    auto line = out.substr(pos, end - pos);
    ++lines;
    if (line.find("\"label\":1") != std::string::npos) ++flagged;
    pos = end;
  }
  return lines ? static_cast<double>(flagged) / static_cast<double>(lines) : -1;
}

}  // namespace

TEST_F(CaptureCliTest, CalibrateRecordsASiteThresholdInACopyOfTheModel) {
  const std::string models = std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default";
  const std::string pcap =
      std::string(FLOWSENTRY_SOURCE_DIR) + "/src/meter/tests/data/loopback.pcap";
  auto before = run(bin_ + " score --model " + models + " --data " + pcap + " 2>/dev/null");
  ASSERT_EQ(before.code, 0) << before.out;
  auto r = run(bin_ + " calibrate --model " + models + " --data " + pcap + " --out " + dir_ +
               "/site --target-rate 0.1 --site lab --attack-data " + dir_ + "/tcp.pcap");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("for site \"lab\""), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("attack traffic (1 flows)"), std::string::npos) << r.out;
  std::ifstream meta_in(dir_ + "/site/meta.json");
  std::string meta((std::istreambuf_iterator<char>(meta_in)), {});
  EXPECT_NE(meta.find("\"calibration\""), std::string::npos);
  EXPECT_NE(meta.find("\"loopback.pcap\""), std::string::npos);
  std::ifstream card_in(dir_ + "/site/model_card.md");
  std::string card((std::istreambuf_iterator<char>(card_in)), {});
  EXPECT_NE(card.find("## Site calibration"), std::string::npos);
  auto after = run(bin_ + " score --model " + dir_ + "/site --data " + pcap + " 2>/dev/null");
  ASSERT_EQ(after.code, 0);
  EXPECT_LE(flagged(after.out), 0.1) << "before calibration: " << flagged(before.out);
  // The committed model itself is untouched.
  std::ifstream orig_in(models + "/meta.json");
  std::string orig((std::istreambuf_iterator<char>(orig_in)), {});
  EXPECT_EQ(orig.find("\"calibration\""), std::string::npos);
}

TEST_F(CaptureCliTest, CalibrateRefusesAnEmptySample) {
  ASSERT_TRUE(flowsentry::meter::testing::write_pcap(dir_ + "/empty.pcap", {}));
  auto r = run(bin_ + " calibrate --model " + std::string(FLOWSENTRY_SOURCE_DIR) +
               "/models/default --data " + dir_ + "/empty.pcap --out " + dir_ + "/x");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("no flows"), std::string::npos) << r.out;
}
