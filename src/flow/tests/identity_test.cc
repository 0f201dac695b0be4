// The identity columns of metered flows (stime, ltime, srcip, sport, dstip, dsport, ARP
// hardware addresses) through the CSV and JSON codecs.
#include <sstream>

#include <gtest/gtest.h>

#include "flow/csv.h"
#include "flow/json_codec.h"
#include "flow/tests/fixtures.h"

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

}  // namespace
}  // namespace flowsentry::flow
