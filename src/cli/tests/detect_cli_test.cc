// `flowsentry detect` end to end on crafted captures: a SYN scan of 200 ports raises one
// port_scan with its evidence; a normal HTTP exchange raises nothing; exit codes and formats.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "common/testing/shell.h"

#include "meter/tests/scenarios.h"

namespace {

namespace t = flowsentry::meter::testing;

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& cmd) {
  auto r = flowsentry::testing::shell_run(cmd);
  return {r.code, r.out};
}

// nmap -sS against a host: a SYN to each port, RST/ACK back (closed), 1 ms apart.
std::vector<t::Frame> syn_scan(int ports) {
  std::vector<t::Frame> out;
  for (int p = 1; p <= ports; ++p) {
    t::TcpConversation c({"10.0.0.66", 61000}, {"10.0.0.2", static_cast<uint16_t>(p)});
    const int64_t ts = t::kT0 + p * 1000;
    out.push_back(c.from_client(ts, {flowsentry::meter::kTcpSyn, 7000, 0, 1024}));
    out.push_back(c.from_server(
        ts + 50, {flowsentry::meter::kTcpRst | flowsentry::meter::kTcpAck, 0, 7001, 0}));
  }
  return out;
}

class DetectCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/detect_cli_XXXXXX";
    dir_ = mkdtemp(tmpl);
    ASSERT_TRUE(t::write_pcap(dir_ + "/scan.pcap", syn_scan(200)));
    ASSERT_TRUE(t::write_pcap(dir_ + "/http.pcap", t::tcp_handshake_close()));
  }
  void TearDown() override { run("rm -rf " + dir_); }
  std::string detect(const std::string& args) {
    return bin_ + " detect --model " + std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default " +
           args;
  }
  std::string dir_;
  const std::string bin_ = FLOWSENTRY_BINARY;
};

TEST_F(DetectCliTest, SynScanOfTwoHundredPortsRaisesOnePortScan) {
  auto r = run(detect("--data " + dir_ + "/scan.pcap --format json 2>/dev/null"));
  ASSERT_EQ(r.code, 0) << r.out;
  std::istringstream lines(r.out);
  std::string line;
  int scans = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line);
    for (const char* k : {"kind", "type", "severity", "summary", "context", "first_time",
                          "last_time", "hosts", "evidence"}) {
      EXPECT_TRUE(j.contains(k)) << k << " missing in " << line;
    }
    if (j["kind"] != "port_scan") continue;
    ++scans;
    EXPECT_EQ(j["context"], "10.0.0.66");
    EXPECT_EQ(j["hosts"]["src"], "10.0.0.66");
    EXPECT_EQ(j["hosts"]["dst"], "10.0.0.2");
    EXPECT_EQ(j["evidence"]["scan"], "vertical");
    EXPECT_GE(j["evidence"]["examples"].size(), 1u);
    EXPECT_NEAR(j["first_time"].get<double>(), 1700000000.001, 1e-3);
  }
  EXPECT_EQ(scans, 1) << r.out;
}

TEST_F(DetectCliTest, NormalHttpExchangeRaisesNothing) {
  auto r = run(detect("--data " + dir_ + "/http.pcap --format text 2>&1"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("1 flows, 0 invalid rows skipped, 0 alerts (none)"), std::string::npos)
      << r.out;
}

TEST_F(DetectCliTest, TextFormatHasOneLinePerAlertAndASummary) {
  auto r = run(detect("--data " + dir_ + "/scan.pcap --format text 2>/dev/null"));
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find(" port_scan "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("200 flows, 0 invalid rows skipped, 1 alerts (port_scan 1)"),
            std::string::npos)
      << r.out;
  auto critical_only = run(detect("--data " + dir_ +
                                  "/scan.pcap --format text --min-severity critical "
                                  "--set behaviour.scan_ports=150 2>/dev/null"));
  EXPECT_NE(critical_only.out.find("1 alerts (port_scan 1)"), std::string::npos)
      << critical_only.out;
}

TEST_F(DetectCliTest, UsageAndRuntimeErrorsHaveTheirExitCodes) {
  EXPECT_EQ(run(bin_ + " detect 2>/dev/null").code, 2);
  EXPECT_EQ(run(detect("--data " + dir_ + "/scan.pcap --format xml 2>/dev/null")).code, 2);
  EXPECT_EQ(run(detect("--data " + dir_ + "/missing.pcap 2>/dev/null")).code, 1);
  EXPECT_EQ(run(bin_ + " detect --help >/dev/null").code, 0);
}

}  // namespace
