#include "collect/mapping.h"

#include <gtest/gtest.h>

#include "collect/collector.h"
#include "collect/tests/datagrams.h"

namespace flowsentry::collect {
namespace {

using flow::FlowRecord;

ExportRecord biflow(uint16_t flags, uint16_t rev_flags, uint64_t rev_packets) {
  ExportRecord r;
  r.src = {10, 0, 0, 1};
  r.dst = {10, 0, 0, 2};
  r.sport = 40000;
  r.dport = 80;
  r.proto = kProtoTcp;
  r.packets = 6;
  r.bytes = 408;
  r.rev_packets = rev_packets;
  r.rev_bytes = rev_packets * 100;
  r.tcp_flags = flags;
  r.rev_tcp_flags = rev_flags;
  r.start_us = 1'700'000'000'000'000;
  r.end_us = 1'700'000'002'000'000;
  r.biflow = true;
  return r;
}

TEST(MappingTest, StateFromTheOrOfBothDirectionsFlags) {
  EXPECT_EQ(state_of(biflow(0x02, 0x14, 1)), "RST");  // SYN answered by RST-ACK
  EXPECT_EQ(state_of(biflow(0x1b, 0x1b, 5)), "FIN");
  EXPECT_EQ(state_of(biflow(0x02, 0, 0)), "REQ");     // unanswered SYN
  EXPECT_EQ(state_of(biflow(0x02, 0x12, 1)), "CON");  // SYN, SYN-ACK
  EXPECT_EQ(state_of(biflow(0x18, 0x10, 3)), "CON");  // picked up mid-stream
  EXPECT_EQ(state_of(biflow(0, 0, 0)), "INT");
  auto udp = biflow(0, 0, 0);
  udp.proto = 17;
  EXPECT_EQ(state_of(udp), "INT");
  udp.rev_packets = 1;
  EXPECT_EQ(state_of(udp), "CON");
  auto icmp = biflow(0, 0, 0);
  icmp.proto = kProtoIcmp;
  icmp.dport = 0x0800;
  EXPECT_EQ(state_of(icmp), "ECO");
  icmp.dport = 0x0303;
  EXPECT_EQ(state_of(icmp), "URP");
}

TEST(MappingTest, FeaturesAddTheLinkLayerHeaderPerPacket) {
  FlowRecord rec;
  ASSERT_FALSE(to_flow_record(biflow(0x1b, 0x1b, 4), {}, 1'800'000'000, rec));
  EXPECT_EQ(rec.srcip, "10.0.0.1");
  EXPECT_EQ(rec.dsport, 80);
  EXPECT_EQ(rec.proto, "tcp");
  EXPECT_EQ(rec.service, "http");
  EXPECT_EQ(rec.state, "FIN");
  EXPECT_DOUBLE_EQ(rec[flow::kDur], 2.0);
  EXPECT_EQ(rec[flow::kSbytes], 408 + 6 * 14);  // 492 wire bytes, as in the notes
  EXPECT_EQ(rec[flow::kDbytes], 400 + 4 * 14);
  EXPECT_DOUBLE_EQ(rec[flow::kRate], 9 / 2.0);
  EXPECT_DOUBLE_EQ(rec[flow::kSload], (492 - 82) * 8 / 2.0);
  EXPECT_EQ(rec[flow::kSmean], 82);
  EXPECT_EQ(rec[flow::kDmean], 114);
  EXPECT_EQ(rec[flow::kSttl], 0);
  EXPECT_EQ(rec[flow::kIsSmIpsPorts], 0);
  ASSERT_FALSE(to_flow_record(biflow(0x1b, 0x1b, 4), {.link_layer_bytes = 0}, 1.8e9, rec));
  EXPECT_EQ(rec[flow::kSbytes], 408);
}

TEST(MappingTest, IcmpTypeAndCodeBecomeThePorts) {
  auto r = biflow(0, 0, 1);
  r.proto = kProtoIcmp;
  r.sport = 0;
  r.dport = 0x0800;
  FlowRecord rec;
  ASSERT_FALSE(to_flow_record(r, {}, 1.8e9, rec));
  EXPECT_EQ(rec.sport, 8);
  EXPECT_EQ(rec.dsport, 0);
  EXPECT_EQ(rec.proto, "icmp");
  EXPECT_EQ(rec.service, "-");
}

TEST(MappingTest, ATimeFromTheFarFutureIsRefused) {
  auto r = biflow(0, 0, 1);
  r.start_us = r.end_us = int64_t{4'000'000'000} * 1'000'000;
  FlowRecord rec;
  auto problem = to_flow_record(r, {}, 1.8e9, rec);
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->field, "stime");
}

TEST(MappingTest, CollectorFillsTheCtCountsInOutputOrder) {
  using namespace testing;
  Collector c({.pairing = {.window_us = 0}});
  Flow a, b;
  b.dst = {10, 0, 0, 3};
  c.add(kExporter,
        ipfix(1'700'000'002, 0, 1,
              {set(2, flow_template()), set(kFlowTemplate, flow_records({a, a, b}))}),
        0);
  std::vector<FlowRecord> out;
  std::vector<flow::FieldProblem> rejected;
  c.take(out, rejected);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2][flow::kCtSrcLtm], 3);
  EXPECT_EQ(out[2][flow::kCtDstLtm], 1);
  EXPECT_EQ(out[1][flow::kCtDstSrcLtm], 2);
  EXPECT_TRUE(rejected.empty());
}

}  // namespace
}  // namespace flowsentry::collect
