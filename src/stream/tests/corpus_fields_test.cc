// Service, HTTP and FTP fields on the real captures of src/cli/tests/data/corpus (recorded by
// scripts/make_corpus): what Bro 2.4 would have written for these sessions.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "stream/pcap_reader.h"

namespace flowsentry::stream {
namespace {

std::vector<flow::FlowRecord> meter_corpus(const std::string& name) {
  meter::Meter m;
  auto r = meter_capture_file(
      std::string(FLOWSENTRY_SOURCE_DIR) + "/src/cli/tests/data/corpus/" + name + ".pcap", m);
  EXPECT_TRUE(r.ok()) << name;
  m.finish();
  std::vector<flow::FlowRecord> recs;
  m.take(recs);
  return recs;
}

double field(const flow::FlowRecord& r, const char* name) {
  return r[flow::num_field_by_name(name)];
}

std::vector<flow::FlowRecord> to_port(const std::vector<flow::FlowRecord>& recs, int64_t port) {
  std::vector<flow::FlowRecord> out;
  for (const auto& r : recs) {
    if (r.proto == "tcp" && r.dsport == port) out.push_back(r);
  }
  return out;
}

TEST(CorpusFieldsTest, WebDownloadsAreHttpWithDepthAndBodyLengths) {
  const auto recs = meter_corpus("normal-web");
  size_t http = 0;
  double depth = 0, bodies = 0;
  for (const auto& r : recs) {
    if (r.proto != "tcp") continue;
    EXPECT_EQ(r.service, "http") << *r.sport << "->" << *r.dsport;
    ++http;
    depth += field(r, "trans_depth");
    bodies += field(r, "response_body_len");
    EXPECT_EQ(field(r, "trans_depth"), field(r, "ct_flw_http_mthd"));
  }
  // Five connections: index; page2+page3+logo kept alive on one; report.pdf over HTTP/1.0;
  // page4 with Connection: close; page5 by wget.
  EXPECT_EQ(http, 5u);
  EXPECT_EQ(depth, 7);
  const auto keep_alive = std::max_element(recs.begin(), recs.end(), [](auto& a, auto& b) {
    return field(a, "trans_depth") < field(b, "trans_depth");
  });
  EXPECT_EQ(field(*keep_alive, "trans_depth"), 3);
  EXPECT_GE(bodies, 120000 + 40000);  // the report and the logo at least
}

TEST(CorpusFieldsTest, FtpLoginsAndPortAndPasvDataConnections) {
  const auto recs = meter_corpus("normal-ftp");
  const auto control = to_port(recs, 21);
  ASSERT_EQ(control.size(), 3u);
  for (const auto& r : control) {
    EXPECT_EQ(r.service, "ftp");
    EXPECT_EQ(field(r, "is_ftp_login"), 1) << *r.sport;
    EXPECT_GE(field(r, "ct_ftp_cmd"), 4) << *r.sport;  // USER PASS TYPE PASV|PORT RETR|STOR …
  }
  size_t data = 0;
  for (const auto& r : recs) {
    if (r.proto != "tcp" || r.dsport == 21) continue;
    EXPECT_EQ(r.service, "ftp-data") << *r.sport << "->" << *r.dsport;
    ++data;
  }
  EXPECT_EQ(data, 3u);  // RETR over PASV, RETR over PORT (server connects back), STOR over PASV
}

TEST(CorpusFieldsTest, FailedFtpLoginsAreFtpWithoutLogin) {
  const auto control = to_port(meter_corpus("guess-ftp"), 21);
  ASSERT_EQ(control.size(), 50u);
  for (const auto& r : control) {
    EXPECT_EQ(r.service, "ftp");
    EXPECT_EQ(field(r, "is_ftp_login"), 0);
    EXPECT_EQ(field(r, "ct_ftp_cmd"), 2);  // USER, PASS, then curl gives up on 530
  }
}

TEST(CorpusFieldsTest, SshAndDnsSessions) {
  const auto ssh = to_port(meter_corpus("normal-ssh"), 22);
  ASSERT_EQ(ssh.size(), 2u);  // the shell and the scp
  for (const auto& r : ssh) EXPECT_EQ(r.service, "ssh");
  size_t dns = 0;
  for (const auto& r : meter_corpus("normal-dns")) {
    if (r.proto != "udp") continue;
    EXPECT_EQ(r.service, "dns") << *r.sport;
    EXPECT_EQ(r.dsport, 53);
    ++dns;
  }
  EXPECT_EQ(dns, 22u);
}

TEST(CorpusFieldsTest, GuessedSshLoginsAreSsh) {
  const auto ssh = to_port(meter_corpus("guess-ssh"), 22);
  EXPECT_EQ(ssh.size(), 50u);
  for (const auto& r : ssh) EXPECT_EQ(r.service, "ssh");
}

}  // namespace
}  // namespace flowsentry::stream
