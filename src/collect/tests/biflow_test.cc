#include "collect/biflow.h"

#include <gtest/gtest.h>

namespace flowsentry::collect {
namespace {

ExportRecord one_way(uint8_t from, uint8_t to, uint16_t sport, uint16_t dport, int64_t start_us,
                     uint64_t packets) {
  ExportRecord r;
  r.src = {10, 0, 0, from};
  r.dst = {10, 0, 0, to};
  r.sport = sport;
  r.dport = dport;
  r.proto = kProtoTcp;
  r.start_us = start_us;
  r.end_us = start_us + 1'000'000;
  r.packets = packets;
  r.bytes = packets * 100;
  r.tcp_flags = from == 1 ? 0x02 : 0x12;
  return r;
}

TEST(BiflowTest, TwoDirectionsPairWithTheEarlierStartAsSource) {
  BiflowPairer p;
  std::vector<ExportRecord> out;
  p.add(one_way(2, 1, 80, 40000, 1'000'100, 4), 0, out);  // the reply arrives first
  EXPECT_TRUE(out.empty());
  p.add(one_way(1, 2, 40000, 80, 1'000'000, 6), 10, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].biflow);
  EXPECT_EQ(out[0].src[3], 1);
  EXPECT_EQ(out[0].packets, 6u);
  EXPECT_EQ(out[0].rev_packets, 4u);
  EXPECT_EQ(out[0].rev_bytes, 400u);
  EXPECT_EQ(out[0].tcp_flags, 0x02);
  EXPECT_EQ(out[0].rev_tcp_flags, 0x12);
  EXPECT_EQ(out[0].start_us, 1'000'000);
  EXPECT_EQ(out[0].end_us, 2'000'100);
  EXPECT_EQ(p.waiting(), 0u);
  EXPECT_EQ(p.counters().paired, 1u);
}

TEST(BiflowTest, RecordsFarApartInTimeDoNotPair) {
  BiflowPairer p({.window_us = 5'000'000});
  std::vector<ExportRecord> out;
  p.add(one_way(1, 2, 40000, 80, 0, 1), 0, out);
  p.add(one_way(2, 1, 80, 40000, 60'000'000, 1), 0, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(p.waiting(), 2u);
  p.flush(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].rev_packets, 0u);
  EXPECT_EQ(p.counters().one_way, 2u);
}

TEST(BiflowTest, AnUnansweredRecordLeavesOneWayAfterTheWindow) {
  BiflowPairer p({.window_us = 5'000'000});
  std::vector<ExportRecord> out;
  p.add(one_way(1, 2, 40000, 80, 0, 1), 1'000'000, out);
  p.expire(5'999'999, out);
  EXPECT_TRUE(out.empty());
  p.expire(6'000'000, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].biflow);
  EXPECT_EQ(out[0].rev_packets, 0u);
}

TEST(BiflowTest, WindowZeroPassesOneWayRecordsThrough) {
  BiflowPairer p({.window_us = 0});
  std::vector<ExportRecord> out;
  p.add(one_way(1, 2, 40000, 80, 0, 1), 0, out);
  p.add(one_way(2, 1, 80, 40000, 0, 1), 0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_FALSE(out[0].biflow);
}

TEST(BiflowTest, ARepeatedDirectionSendsTheFirstOneWay) {
  BiflowPairer p;
  std::vector<ExportRecord> out;
  p.add(one_way(1, 2, 40000, 80, 0, 1), 0, out);
  p.add(one_way(1, 2, 40000, 80, 10, 2), 0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].packets, 1u);
  p.add(one_way(2, 1, 80, 40000, 20, 3), 0, out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[1].packets, 2u);
  EXPECT_EQ(out[1].rev_packets, 3u);
}

TEST(BiflowTest, EchoRequestAndReplyPair) {
  BiflowPairer p;
  std::vector<ExportRecord> out;
  auto req = one_way(1, 2, 0, 0x0800, 0, 1);
  req.proto = kProtoIcmp;
  auto rep = one_way(2, 1, 0, 0x0000, 100, 1);
  rep.proto = kProtoIcmp;
  p.add(req, 0, out);
  p.add(rep, 0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dport, 0x0800);
  EXPECT_EQ(out[0].rev_packets, 1u);
}

TEST(BiflowTest, WaitingRecordsAreBounded) {
  BiflowPairer p({.window_us = 5'000'000, .max_waiting = 100});
  std::vector<ExportRecord> out;
  for (uint16_t i = 0; i < 1000; ++i) p.add(one_way(1, 2, i, 80, 0, 1), 0, out);
  EXPECT_EQ(p.waiting(), 100u);
  EXPECT_EQ(out.size(), 900u);
  EXPECT_EQ(p.counters().pushed_out, 900u);
}

TEST(BiflowTest, PairedRecordsLeaveNoBookkeepingBehind) {
  BiflowPairer p({.window_us = 5'000'000, .max_waiting = 10});
  std::vector<ExportRecord> out;
  for (uint16_t i = 0; i < 20000; ++i) {
    p.add(one_way(1, 2, i, 80, 0, 1), 0, out);
    p.add(one_way(2, 1, 80, i, 0, 1), 0, out);
  }
  EXPECT_EQ(out.size(), 20000u);
  EXPECT_EQ(p.waiting(), 0u);
  EXPECT_LE(p.arrivals(), 2u * 10 + 1024 + 1);
}

TEST(BiflowTest, Rfc5103BiflowsPassThrough) {
  BiflowPairer p;
  std::vector<ExportRecord> out;
  auto b = one_way(1, 2, 40000, 80, 0, 1);
  b.biflow = true;
  b.rev_packets = 3;
  p.add(b, 0, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].rev_packets, 3u);
  EXPECT_EQ(p.counters().biflows_in, 1u);
}

}  // namespace
}  // namespace flowsentry::collect
