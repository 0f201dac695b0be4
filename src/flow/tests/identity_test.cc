// The identity columns of metered flows (stime, ltime, srcip, sport, dstip, dsport, ARP
// hardware addresses) through the CSV and JSON codecs.
#include <algorithm>
#include <sstream>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "flow/csv.h"
#include "flow/json_codec.h"
#include "flow/tests/fixtures.h"
#include "flow/validate.h"

namespace flowsentry::flow {
namespace {

FlowRecord metered() {
  FlowRecord r;
  r.proto = "tcp";
  r.service = "http";
  r.state = "FIN";
  r[kDur] = 0.005;
  r[kSpkts] = 6;
  r[kSbytes] = 355;
  r[kSjit] = 0.654217;
  r.stime = 1700000000.0;
  r.ltime = 1700000000.005;
  r.srcip = "10.0.0.1";
  r.sport = 40000;
  r.dstip = "2001:db8::2";
  r.dsport = 80;
  return r;
}

TEST(IdentityTest, CaptureCsvRoundTripsThroughTheReader) {
  std::string text = identity_csv_header() + "\n";
  append_identity_csv(metered(), text);
  auto reader = CsvReader::from_stream(std::make_unique<std::istringstream>(text), "m.csv");
  ASSERT_TRUE(reader.ok()) << reader.error().to_string();
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(reader.value()->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_DOUBLE_EQ(*rec.stime, 1700000000.0);
  EXPECT_DOUBLE_EQ(*rec.ltime, 1700000000.005);
  EXPECT_EQ(*rec.srcip, "10.0.0.1");
  EXPECT_EQ(*rec.sport, 40000);
  EXPECT_EQ(*rec.dstip, "2001:db8::2");
  EXPECT_EQ(*rec.dsport, 80);
  EXPECT_EQ(rec[kSpkts], 6);
  EXPECT_DOUBLE_EQ(rec[kSjit], 0.654217);
  EXPECT_EQ(rec.state, "FIN");
  EXPECT_FALSE(rec.label);
}

// The capture CSV's fast number formatting writes what fmt's "{}" writes (shortest text that
// reads back to the same double), edge cases included: files stay byte-for-byte the same.
TEST(IdentityTest, CaptureCsvNumbersAreTheShortestRoundTripText) {
  const std::vector<double> values{0.0,   -0.0,   0.1,    1.0 / 3,     0.654217, 1e-5,   1e-4,
                                   123.0, 1e15,   1e16,   1.5e17,      5e-324,   1e300,  -2.5,
                                   60.0,  59.999, 2.5e-7, 1234567.875, 0.000123, 4096.5, 1e21};
  for (double v : values) {
    FlowRecord r = metered();
    r[kDur] = v;
    r[kSjit] = v;
    r[kSpkts] = 7;
    std::string row;
    append_identity_csv(r, row);
    std::vector<std::string> fields;
    std::stringstream in(row.substr(0, row.size() - 1));
    for (std::string f; std::getline(in, f, ',');) fields.push_back(f);
    ASSERT_EQ(fields.size(), 6u + kNumFieldCount + 3u);
    EXPECT_EQ(fields[6], fmt::format("{}", v)) << "dur";
    EXPECT_EQ(fields[10 + kSjit - kSpkts], fmt::format("{}", v)) << "sjit";
    EXPECT_EQ(fields[10], "7");
    EXPECT_EQ(fields[0], fmt::format("{:.6f}", *r.stime));
  }
}

TEST(IdentityTest, CsvWithoutIdentityColumnsLeavesThemAbsent) {
  auto reader = CsvReader::from_stream(
      std::make_unique<std::istringstream>(testing::kHeader + "\n" + testing::kRowHttp + "\n"),
      "u.csv");
  ASSERT_TRUE(reader.ok());
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(reader.value()->next(rec, p), CsvReader::Next::kRecord);
  EXPECT_FALSE(rec.ltime);
  EXPECT_FALSE(rec.srcip);
  EXPECT_FALSE(rec.sport);
}

TEST(IdentityTest, HexAndDashPortsOfTheFullUnswFiles) {
  EXPECT_EQ(parse_port("0x000b"), 11);
  EXPECT_EQ(parse_port("53"), 53);
  EXPECT_FALSE(parse_port("-"));
  EXPECT_FALSE(parse_port(""));
  EXPECT_FALSE(parse_port("70000"));
}

TEST(IdentityTest, JsonRoundTripKeepsIdentityAndArpAddresses) {
  FlowRecord r = metered();
  r.arp_sha = "02:00:00:00:00:01";
  std::string json = to_json(r);
  JsonDecoder dec;
  FlowRecord back;
  ASSERT_FALSE(dec.decode_one(json, back)) << json;
  EXPECT_DOUBLE_EQ(*back.ltime, 1700000000.005);
  EXPECT_EQ(*back.srcip, "10.0.0.1");
  EXPECT_EQ(*back.sport, 40000);
  EXPECT_EQ(*back.dstip, "2001:db8::2");
  EXPECT_EQ(*back.dsport, 80);
  EXPECT_EQ(*back.arp_sha, "02:00:00:00:00:01");
  EXPECT_FALSE(back.arp_tha);
}

TEST(IdentityTest, JsonWithoutIdentityHasNoIdentityKeys) {
  FlowRecord r = metered();
  r.ltime.reset();
  r.srcip.reset();
  r.sport.reset();
  r.dstip.reset();
  r.dsport.reset();
  std::string json = to_json(r);
  EXPECT_EQ(json.find("srcip"), std::string::npos);
  EXPECT_EQ(json.find("ltime"), std::string::npos);
}

// The metered flow as JSON with `from` replaced by `to`.
std::string json_with(const std::string& from, const std::string& to) {
  std::string json = to_json(metered());
  auto at = json.find(from);
  EXPECT_NE(at, std::string::npos) << json;
  return json.replace(at, from.size(), to);
}

// A JSON string literal of arbitrary bytes.
std::string json_quoted(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c < 0x20 || c == '"' || c == '\\') {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// A metered CSV with one identity cell replaced by `value`; the problem of its one row.
std::optional<FieldProblem> csv_problem(const std::string& column, const std::string& value) {
  std::string text = identity_csv_header() + "\n";
  std::string row;
  append_identity_csv(metered(), row);
  // Identity columns come first: stime, ltime, srcip, sport, dstip, dsport.
  static const std::vector<std::string> kCols{"stime", "ltime", "srcip",
                                              "sport", "dstip", "dsport"};
  size_t col = std::find(kCols.begin(), kCols.end(), column) - kCols.begin();
  size_t start = 0;
  for (size_t i = 0; i < col; ++i) start = row.find(',', start) + 1;
  row.replace(start, row.find(',', start) - start, value);
  text += row;
  auto reader = CsvReader::from_stream(std::make_unique<std::istringstream>(text), "h.csv");
  EXPECT_TRUE(reader.ok());
  FlowRecord rec;
  FieldProblem p;
  if (reader.value()->next(rec, p) == CsvReader::Next::kRecord) return std::nullopt;
  return p;
}

TEST(IdentityAdversarialTest, AddressesThatAreNotAddressesAreRefusedByName) {
  for (const std::string& bad : std::vector<std::string>{
           "not-an-ip", "10.0.0.256", "1.2.3", "10.0.0.1/8", "fe80::1%eth0", "::ffff:1.2.3.4.5",
           "' OR 1=1 --", std::string(5000, 'a'), std::string("1.2.3.4\0x", 9)}) {
    auto p = csv_problem("srcip", "\"" + bad + "\"");
    ASSERT_TRUE(p) << bad;
    EXPECT_EQ(p->field, "srcip");
    EXPECT_EQ(p->reason, "bad_address") << bad;
    EXPECT_LT(p->problem.size(), 200u);
    JsonDecoder dec;
    FlowRecord back;
    auto jp = dec.decode_one(
        json_with("\"dstip\":\"2001:db8::2\"", "\"dstip\":" + json_quoted(bad)), back);
    ASSERT_TRUE(jp) << bad;
    EXPECT_EQ(jp->field, "/dstip");
    EXPECT_EQ(jp->reason, "bad_address");
  }
}

TEST(IdentityAdversarialTest, PortsOutside0To65535AreRefusedByName) {
  for (std::string bad : {"70000", "-1", "0x10000", "80.5", "http", "99999999999999999999"}) {
    auto p = csv_problem("dsport", bad);
    ASSERT_TRUE(p) << bad;
    EXPECT_EQ(p->field, "dsport");
    EXPECT_EQ(p->reason, "bad_port") << bad;
  }
  for (std::string bad : {"70000", "-1", "1e30", "true", "\"0x1ffff\"", "[80]"}) {
    JsonDecoder dec;
    FlowRecord back;
    auto p = dec.decode_one(json_with("\"sport\":40000", "\"sport\":" + bad), back);
    ASSERT_TRUE(p) << bad;
    EXPECT_EQ(p->field, "/sport");
    EXPECT_EQ(p->reason, "bad_port");
  }
}

TEST(IdentityTest, AddressesAreKeptInCanonicalForm) {
  std::optional<std::string> a;
  EXPECT_FALSE(set_address("srcip", "::FFFF:10.0.0.1", a));
  EXPECT_EQ(*a, "10.0.0.1");
  EXPECT_FALSE(set_address("srcip", "2001:DB8:0:0::1", a));
  EXPECT_EQ(*a, "2001:db8::1");
  EXPECT_FALSE(set_address("srcip", "-", a));
  EXPECT_FALSE(a);
  std::optional<int64_t> port;
  EXPECT_FALSE(set_port("sport", "0x000b", port));
  EXPECT_EQ(*port, 11);
  EXPECT_FALSE(set_port("sport", "65535", port));
  EXPECT_EQ(*port, 65535);
  EXPECT_FALSE(set_port("sport", "-", port));
  EXPECT_FALSE(port);
}

}  // namespace
}  // namespace flowsentry::flow
