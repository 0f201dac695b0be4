#include "stream/zeek_reader.h"

#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/metrics.h"
#include "meter/features.h"
#include "stream/file_source.h"
#include "stream/line_input.h"
#include "stream/zeek_join.h"

namespace flowsentry::stream {
namespace {

namespace fs = std::filesystem;
using flow::FlowRecord;

const std::string kData = std::string(FLOWSENTRY_SOURCE_DIR) + "/src/stream/tests/data/zeek/";

struct Read {
  std::vector<FlowRecord> flows;
  std::vector<Rejected> rejected;
  std::string profile;
};

Read read_all(const std::string& path, FileSourceOptions o = {}) {
  register_zeek_format();
  Read r;
  auto src = FileSource::open(path, o);
  EXPECT_TRUE(src.ok()) << (src.ok() ? "" : src.error().to_string());
  if (!src.ok()) return r;
  for (int guard = 0; !(*src)->at_end() && guard < 1000; ++guard) {
    EXPECT_TRUE((*src)->next_batch(r.flows, 3, std::chrono::milliseconds(0)).ok());
  }
  (*src)->take_rejected(r.rejected);
  r.profile = std::string((*src)->profile().name);
  return r;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ZeekDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("flowsentry-zeek-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& text, bool append = false) {
    std::ofstream(path(name), append ? std::ios::app : std::ios::trunc) << text;
    return path(name);
  }
  std::string gzip(const std::string& name, const std::string& text) {
    gzFile f = gzopen(path(name).c_str(), "wb");
    gzwrite(f, text.data(), static_cast<unsigned>(text.size()));
    gzclose(f);
    return path(name);
  }
  fs::path dir_;
};

TEST(ZeekReaderTest, TsvConnLogIsRecognisedAndMappedWithUnits) {
  auto r = read_all(kData + "tsv/conn.log");
  ASSERT_EQ(r.flows.size(), 8u);
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_EQ(r.profile, "conn");  // http.log and ftp.log sit beside it
  const FlowRecord& f = r.flows[0];
  EXPECT_EQ(f.proto, "tcp");
  EXPECT_EQ(f.service, "http");
  EXPECT_EQ(f.state, "FIN");
  EXPECT_DOUBLE_EQ(f[flow::kDur], 1.5);
  EXPECT_EQ(f[flow::kSpkts], 6);
  EXPECT_EQ(f[flow::kDpkts], 5);
  EXPECT_EQ(f[flow::kSbytes], 740 + 6 * 14);  // IP bytes + an Ethernet header per packet
  EXPECT_EQ(f[flow::kDbytes], 1468 + 5 * 14);
  EXPECT_DOUBLE_EQ(f[flow::kRate], 10 / 1.5);
  EXPECT_EQ(f[flow::kSmean], 137);  // round(824 / 6)
  EXPECT_EQ(f[flow::kDmean], 308);  // round(1538 / 5)
  EXPECT_DOUBLE_EQ(f[flow::kSload], meter::argus_load_bps(824, 6, 1.5));
  EXPECT_NEAR(f[flow::kSload], (824 - 137) * 8 / 1.5, 1e-3);
  EXPECT_NEAR(*f.stime, 1700000000.1, 1e-6);
  EXPECT_NEAR(*f.ltime, 1700000001.6, 1e-6);
  EXPECT_EQ(*f.srcip, "10.0.0.5");
  EXPECT_EQ(*f.sport, 49152);
  EXPECT_EQ(*f.dstip, "93.184.216.34");
  EXPECT_EQ(*f.dsport, 80);
  EXPECT_EQ(f.key.offset, 9);  // the line in the file
  EXPECT_FALSE(f.label);
}

TEST(ZeekReaderTest, ConnStatesMapToArgusStates) {
  auto r = read_all(kData + "tsv/conn.log");
  ASSERT_EQ(r.flows.size(), 8u);
  std::vector<std::string> states;
  for (const auto& f : r.flows) states.push_back(f.state);
  // SF tcp, SF udp, S0, REJ, icmp echo, SF, RSTO, S1
  EXPECT_EQ(states,
            (std::vector<std::string>{"FIN", "CON", "REQ", "RST", "ECO", "FIN", "RST", "CON"}));
  EXPECT_EQ(r.flows[2][flow::kDur], 0);  // duration unset
  EXPECT_EQ(r.flows[2].service, "-");
  EXPECT_EQ(r.flows[6].service, "ssl");         // "ssl,http": the first
  EXPECT_EQ(*r.flows[7].dstip, "2001:db8::2");  // canonical
  EXPECT_EQ(argus_state("S0", "udp", true, false, 0, 0), "INT");
  EXPECT_EQ(argus_state("SHR", "udp", false, true, 0, 0), "RSP");
  EXPECT_EQ(argus_state("OTH", "tcp", true, true, 0, 0), "CON");
}

TEST(ZeekReaderTest, HttpAndFtpLogsFillTheirFeaturesByUid) {
  auto r = read_all(kData + "tsv/conn.log");
  ASSERT_EQ(r.flows.size(), 8u);
  const FlowRecord& http = r.flows[0];
  EXPECT_EQ(http[flow::kTransDepth], 2);
  EXPECT_EQ(http[flow::kResponseBodyLen], 600 + 548);
  EXPECT_EQ(http[flow::kCtFlwHttpMthd], 2);
  const FlowRecord& tls = r.flows[6];  // an http.log row without a method
  EXPECT_EQ(tls[flow::kTransDepth], 1);
  EXPECT_EQ(tls[flow::kCtFlwHttpMthd], 0);
  const FlowRecord& ftp = r.flows[5];
  EXPECT_EQ(ftp[flow::kIsFtpLogin], 1);
  EXPECT_EQ(ftp[flow::kCtFtpCmd], 2);
  EXPECT_EQ(r.flows[1][flow::kTransDepth], 0);
  EXPECT_EQ(r.flows[1][flow::kCtFtpCmd], 0);
}

TEST(ZeekReaderTest, CtCountsAreTheMetersWindowInLogOrder) {
  auto r = read_all(kData + "tsv/conn.log");
  ASSERT_EQ(r.flows.size(), 8u);
  meter::CtWindow window;
  for (auto f : r.flows) {
    FlowRecord again = f;
    window.apply(again);
    for (auto field : {flow::kCtSrvSrc, flow::kCtSrvDst, flow::kCtDstLtm, flow::kCtSrcLtm,
                       flow::kCtSrcDportLtm, flow::kCtDstSportLtm, flow::kCtDstSrcLtm}) {
      EXPECT_EQ(f[field], again[field]) << flow::kNumFields[field].name;
    }
  }
  EXPECT_EQ(r.flows[3][flow::kCtSrcLtm], 2);  // 10.0.0.9's second connection
  EXPECT_EQ(r.flows[3][flow::kCtDstSrcLtm], 2);
}

TEST(ZeekReaderTest, JsonLinesGiveTheSameFlowsAsTsv) {
  auto tsv = read_all(kData + "tsv/conn.log");
  auto json = read_all(kData + "json/conn.json");
  ASSERT_EQ(json.flows.size(), tsv.flows.size());
  EXPECT_TRUE(json.rejected.empty());
  EXPECT_EQ(json.profile, "conn");  // http.json beside it
  for (size_t i = 0; i < tsv.flows.size(); ++i) {
    const auto& a = tsv.flows[i];
    const auto& b = json.flows[i];
    for (size_t f = 0; f < flow::kNumFieldCount; ++f) {
      if (f == flow::kIsFtpLogin || f == flow::kCtFtpCmd) continue;  // no ftp log in json/
      if (i == 6 && (f == flow::kTransDepth)) continue;  // its http row is not in http.json
      EXPECT_NEAR(a.num[f], b.num[f], 1e-6) << i << " " << flow::kNumFields[f].name;
    }
    EXPECT_EQ(a.state, b.state);
    EXPECT_EQ(a.service, b.service);
    EXPECT_EQ(a.proto, b.proto);
    EXPECT_NEAR(*a.stime, *b.stime, 1e-6) << i;  // row 2 has an ISO 8601 ts
    EXPECT_EQ(a.srcip, b.srcip);
    EXPECT_EQ(a.dsport, b.dsport);
  }
}

TEST(ZeekReaderTest, AnotherFieldOrderGivesTheSameFlows) {
  auto tsv = read_all(kData + "tsv/conn.log");
  auto other = read_all(kData + "reordered/conn.log");
  ASSERT_EQ(other.flows.size(), 3u);
  EXPECT_EQ(other.profile, "netflow");  // no http.log or ftp.log beside it
  for (size_t i = 1; i < 3; ++i) EXPECT_EQ(other.flows[i].num, tsv.flows[i].num) << i;
  EXPECT_EQ(other.flows[0][flow::kSbytes], tsv.flows[0][flow::kSbytes]);
  EXPECT_EQ(other.flows[0].state, "FIN");
}

TEST_F(ZeekDirTest, GzipIsRecognisedByContent) {
  auto plain = read_all(kData + "tsv/conn.log");
  gzip("conn.log.gz", slurp(kData + "tsv/conn.log"));
  gzip("http.log.gz", slurp(kData + "tsv/http.log"));
  auto gz = read_all(path("conn.log.gz"));
  ASSERT_EQ(gz.flows.size(), plain.flows.size());
  EXPECT_EQ(gz.profile, "conn");
  EXPECT_EQ(gz.flows[0].num, plain.flows[0].num);
  EXPECT_EQ(gz.flows[5][flow::kCtFtpCmd], 0);  // no ftp log here
}

TEST_F(ZeekDirTest, LinkHeaderBytesAreASetting) {
  write("conn.log", slurp(kData + "reordered/conn.log"));
  ZeekOptions o;
  o.link_header_bytes = 0;
  register_zeek_format(o);
  auto reader = flow::open_flow_file(path("conn.log"));
  register_zeek_format();
  ASSERT_TRUE(reader.ok());
  FlowRecord rec;
  flow::FieldProblem problem;
  ASSERT_EQ((*reader)->next(rec, problem), flow::FlowReader::Next::kRecord);
  EXPECT_EQ(rec[flow::kSbytes], 740);
  EXPECT_STREQ((*reader)->format(), "zeek");
}

TEST(ZeekReaderTest, RemovedServicesAndIpProtoOfZeek8) {
  std::vector<flow::ZeekValue> row(kConnFieldCount);
  auto set = [&](ConnField f, const char* text) {
    row[f].state = flow::ZeekValue::kSet;
    row[f].text = text;
  };
  set(kTs, "1700000000");
  set(kOrigH, "10.0.0.1");
  set(kOrigP, "0");
  set(kRespH, "10.0.0.2");
  set(kRespP, "0");
  set(kConnProto, "unknown_transport");
  set(kConnState, "OTH");
  set(kOrigPkts, "2");
  set(kOrigIpBytes, "200");
  set(kRespPkts, "0");
  set(kRespIpBytes, "0");
  set(kConnService, "-SSL,HTTP");
  set(kIpProto, "47");
  FlowRecord rec;
  ASSERT_FALSE(conn_to_flow(row, 14, rec));
  EXPECT_EQ(rec.proto, "gre");
  EXPECT_EQ(rec.service, "http");
  EXPECT_EQ(rec.state, "INT");
  row[kIpProto].state = flow::ZeekValue::kUnset;
  ASSERT_FALSE(conn_to_flow(row, 14, rec));
  EXPECT_EQ(rec.proto, "unas");
}

TEST(ZeekReaderTest, OtherZeekLogsAreNotConnLogs) {
  EXPECT_TRUE(looks_like_zeek_conn(kData + "tsv/conn.log"));
  EXPECT_TRUE(looks_like_zeek_conn(kData + "json/conn.json"));
  EXPECT_FALSE(looks_like_zeek_conn(kData + "tsv/http.log"));
  EXPECT_FALSE(looks_like_zeek_conn(kData + "json/http.json"));
}

std::string header(const std::string& fields) {
  return "#separator \\x09\n#set_separator\t,\n#empty_field\t(empty)\n#unset_field\t-\n"
         "#path\tconn\n#fields\t" +
         fields + "\n";
}
const std::string kFields =
    "ts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\tconn_state\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes";
std::string row(int i) {
  return "17000000" + std::to_string(10 + i) + ".5\tC" + std::to_string(i) +
         "\t10.0.0.1\t4000\t10.0.0.2\t80\ttcp\thttp\t1.0\tSF\t3\t180\t2\t120\n";
}

TEST_F(ZeekDirTest, FollowedFileSurvivesRotationAndTruncation) {
  register_zeek_format();
  const std::string conn = write("conn.log", header(kFields) + row(1) + row(2));
  FileSourceOptions o;
  o.follow = true;
  auto src = FileSource::open(conn, o);
  ASSERT_TRUE(src.ok()) << src.error().to_string();
  std::vector<FlowRecord> out;
  auto poll = [&] {
    out.clear();
    for (int i = 0; i < 3; ++i) EXPECT_TRUE((*src)->next_batch(out, 100, {}).ok());
    return out.size();
  };
  EXPECT_EQ(poll(), 2u);
  EXPECT_EQ(poll(), 0u);
  EXPECT_FALSE((*src)->at_end());
  // A line written in two parts is read once it is whole.
  const std::string r3 = row(3);
  write("conn.log", r3.substr(0, 20), true);
  EXPECT_EQ(poll(), 0u);
  write("conn.log", r3.substr(20), true);
  ASSERT_EQ(poll(), 1u);
  EXPECT_NEAR(*out[0].stime, 1700000013.5, 1e-6);
  // Rotation: the old file gets a last row, then a new file appears under the name.
  write("conn.log", row(4), true);
  fs::rename(conn, path("conn.old.log"));
  write("conn.log", header(kFields) + row(5));
  ASSERT_EQ(poll(), 2u);
  EXPECT_NEAR(*out[0].stime, 1700000014.5, 1e-6);
  EXPECT_NEAR(*out[1].stime, 1700000015.5, 1e-6);
  // Truncation in place (seen when the file is shorter than what was read, as tail -F sees
  // it): reading starts again at the beginning.
  fs::resize_file(conn, 0);
  EXPECT_EQ(poll(), 0u);
  write("conn.log", header(kFields) + row(6), true);
  ASSERT_EQ(poll(), 1u);
  EXPECT_NEAR(*out[0].stime, 1700000016.5, 1e-6);
  std::vector<Rejected> rejected;
  (*src)->take_rejected(rejected);
  EXPECT_TRUE(rejected.empty());
  EXPECT_FALSE((*src)->at_end());
}

TEST_F(ZeekDirTest, FollowRefusesAFileThatIsNotAZeekLog) {
  write("flows.csv", "dur,proto\n1,tcp\n");
  FileSourceOptions o;
  o.follow = true;
  auto src = FileSource::open(path("flows.csv"), o);
  ASSERT_FALSE(src.ok());
  EXPECT_NE(src.error().to_string().find("Zeek"), std::string::npos);
}

TEST_F(ZeekDirTest, ZeekReaderAdversarialBadRowsAreRejectedByReason) {
  std::string text = header(kFields) + row(1);
  text += "1700000012.5\tC2\t10.0.0.1\t4000\n";  // truncated
  text += "1700000013.5\tC3\t10.0.0.1\t4000\t10.0.0.2\t80\ttcp\t-\t1\tSF\tabc\t1\t1\t1\n";  // type
  text += "1700000014.5\tC4\t10.0.0.999\t4000\t10.0.0.2\t80\ttcp\t-\t1\tSF\t1\t1\t1\t1\n";  // addr
  text += "soon\tC5\t10.0.0.1\t4000\t10.0.0.2\t80\ttcp\t-\t1\tSF\t1\t1\t1\t1\n";            // time
  text += std::string(100 << 10, 'x') + "\n";  // too long
  text += row(6);
  auto r = read_all(write("conn.log", text));
  ASSERT_EQ(r.flows.size(), 2u);
  std::vector<std::string> reasons;
  for (const auto& rej : r.rejected) reasons.push_back(rej.problem.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{"truncated_line", "bad_type", "bad_address",
                                               "bad_type", "line_too_long"}));
  EXPECT_EQ(r.rejected[1].problem.field, "orig_pkts");
  EXPECT_EQ(r.rejected[0].key.offset, 8);
  EXPECT_EQ(r.rejected[4].key.offset, 12);
}

TEST_F(ZeekDirTest, ZeekReaderAdversarialMissingColumnAndBadJsonAreRejected) {
  auto r = read_all(write("conn.log", header("ts\tuid\tid.orig_h") + "1\tC\t10.0.0.1\n"));
  ASSERT_EQ(r.rejected.size(), 1u);
  EXPECT_EQ(r.rejected[0].problem.reason, "missing_column");
  EXPECT_EQ(r.rejected[0].problem.field, "id.orig_p");

  const std::string good = slurp(kData + "json/conn.json");
  const std::string first = good.substr(0, good.find('\n') + 1);
  auto j =
      read_all(write("c.json", first + "{\"ts\":1,\"id.orig_h\":\n" + "[1,2]\n" +
                                   "{\"id.orig_h\":\"10.0.0.1\",\"conn_state\":\"S0\"}\n" + first));
  EXPECT_EQ(j.flows.size(), 2u);
  std::vector<std::string> reasons;
  for (const auto& rej : j.rejected) reasons.push_back(rej.problem.reason);
  EXPECT_EQ(reasons, (std::vector<std::string>{"bad_json", "bad_json", "missing_field"}));
}

TEST_F(ZeekDirTest, ZeekReaderAdversarialTruncatedGzipKeepsTheRowsBeforeTheDamage) {
  std::string text = header(kFields);
  for (int i = 0; i < 2000; ++i) text += row(i % 50);
  const std::string gz = gzip("conn.log.gz", text);
  fs::resize_file(gz, fs::file_size(gz) / 2);
  auto r = read_all(gz);
  EXPECT_GT(r.flows.size(), 0u);
  EXPECT_LT(r.flows.size(), 2000u);
  for (const auto& rej : r.rejected) EXPECT_EQ(rej.problem.reason, "truncated_line");
  EXPECT_LE(r.rejected.size(), 1u);  // at most the line cut by the damage
}

TEST_F(ZeekDirTest, ZeekJoinAdversarialTableStaysBounded) {
  std::string http = "#separator \\x09\n#fields\tts\tuid\ttrans_depth\tmethod\n";
  for (int i = 0; i < 1000; ++i) {
    http += "1700000000.5\tOrphan" + std::to_string(i) + "\t1\tGET\n";
  }
  http += "1700000000.6\tWanted\t3\tPOST\n";
  auto in = open_lines(write("http.log", http), 1 << 16);
  ASSERT_TRUE(in.ok());
  AppLogJoin join(std::move(in.value()), nullptr, 10);
  AppCounts c = join.take("Wanted", 1700000001);
  EXPECT_EQ(c.trans_depth, 3);
  EXPECT_EQ(c.http_methods, 1);
  EXPECT_LE(join.entries(), 10u);
  EXPECT_EQ(join.counters().evicted, 991u);
  EXPECT_EQ(join.counters().rows, 1001u);
  EXPECT_GE(MetricsRegistry::global()
                .counter("flowsentry_zeek_join_dropped_total", "", {{"reason", "evicted"}})
                .value(),
            991);
}

}  // namespace
}  // namespace flowsentry::stream
