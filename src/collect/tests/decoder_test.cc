#include "collect/decoder.h"

#include <gtest/gtest.h>

#include "collect/tests/datagrams.h"

namespace flowsentry::collect {
namespace {

using namespace testing;

size_t errors(const Decoder& d, DecodeError e) {
  return d.counters().errors[static_cast<size_t>(e)];
}

std::vector<ExportRecord> decode(Decoder& d, const std::vector<uint8_t>& bytes,
                                 const std::array<uint8_t, 16>& exporter = kExporter) {
  std::vector<ExportRecord> out;
  d.decode(exporter, bytes, out);
  return out;
}

TEST(DecoderTest, NetflowV5RecordsWithUptimeTimes) {
  Decoder d;
  Flow f;
  f.flags = 0x12;
  // Exported at 1700000010 s, uptime 20 s: First 12 s and Last 15 s of uptime are 8 s and 5 s ago.
  auto out = decode(d, v5(20'000, 1'700'000'010, 0, {f, f}, 12'000, 15'000));
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].src[0], 10);
  EXPECT_EQ(out[0].dst[3], 2);
  EXPECT_EQ(out[0].packets, 10u);
  EXPECT_EQ(out[0].bytes, 1000u);
  EXPECT_EQ(out[0].sport, 40000);
  EXPECT_EQ(out[0].dport, 80);
  EXPECT_EQ(out[0].proto, 6);
  EXPECT_EQ(out[0].tcp_flags, 0x12);
  EXPECT_EQ(out[0].start_us, 1'700'000'002'000'000);
  EXPECT_EQ(out[0].end_us, 1'700'000'005'000'000);
  EXPECT_EQ(d.counters().records[0], 2u);
}

TEST(DecoderTest, NetflowV5SequenceGapCountsLostRecords) {
  Decoder d;
  Flow f;
  decode(d, v5(1000, 1'700'000'000, 100, {f, f}, 0, 0));
  decode(d, v5(1000, 1'700'000'000, 102, {f}, 0, 0));  // in order
  decode(d, v5(1000, 1'700'000'000, 110, {f}, 0, 0));  // 7 records never came
  EXPECT_EQ(d.counters().lost_records, 7u);
  decode(d, v5(1000, 1'700'000'000, 105, {f}, 0, 0));  // late: reordered, not lost
  EXPECT_EQ(d.counters().out_of_order, 1u);
  EXPECT_EQ(d.counters().lost_records, 7u);
}

TEST(DecoderTest, IpfixTemplateThenData) {
  Decoder d;
  Flow f;
  auto out = decode(
      d, ipfix(1'700'000'002, 0, 1, {set(2, flow_template()), set(kFlowTemplate, flow_data(f))}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start_us, 1'700'000'000'000'000);
  EXPECT_EQ(out[0].end_us, 1'700'000'001'500'000);
  EXPECT_EQ(out[0].tcp_flags, 0x1b);
  EXPECT_EQ(out[0].packets, 10u);
  EXPECT_EQ(out[0].version, 10);
  EXPECT_FALSE(out[0].biflow);
  EXPECT_EQ(d.templates_active(), 1u);
}

TEST(DecoderTest, DataBeforeItsTemplateWaitsAndIsDecodedWhenTheTemplateComes) {
  Decoder d;
  Flow f;
  EXPECT_TRUE(decode(d, ipfix(1'700'000'002, 0, 1, {set(kFlowTemplate, flow_data(f))})).empty());
  EXPECT_EQ(errors(d, DecodeError::kUnknownTemplate), 1u);
  EXPECT_EQ(d.pending_sets(), 1u);
  // The template for another domain does not release it.
  EXPECT_TRUE(decode(d, ipfix(1'700'000'002, 0, 2, {set(2, flow_template())})).empty());
  auto out = decode(d, ipfix(1'700'000'002, 1, 1, {set(2, flow_template())}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].bytes, 1000u);
  EXPECT_EQ(d.pending_sets(), 0u);
}

TEST(DecoderTest, TemplatesAreKeptPerExporterAndDomain) {
  Decoder d;
  Flow f;
  decode(d, ipfix(1'700'000'002, 0, 1, {set(2, flow_template())}));
  // Same id, other layout (only addresses) in domain 2.
  decode(d,
         ipfix(1'700'000'002, 0, 2, {set(2, template_record(kFlowTemplate, {{8, 4}, {12, 4}}))}));
  Bytes small;
  small.ip4(1, 1, 1, 1).ip4(2, 2, 2, 2);
  auto out = decode(d, ipfix(1'700'000'002, 0, 2, {set(kFlowTemplate, small)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].src[0], 1);
  out = decode(d, ipfix(1'700'000'002, 1, 1, {set(kFlowTemplate, flow_data(f))}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].src[0], 10);
  // Another exporter address has no templates.
  std::array<uint8_t, 16> other{192, 0, 2, 9};
  EXPECT_TRUE(
      decode(d, ipfix(1'700'000'002, 0, 1, {set(kFlowTemplate, flow_data(f))}), other).empty());
  EXPECT_EQ(d.templates_active(), 2u);
}

TEST(DecoderTest, TemplateWithdrawalForgetsTheTemplate) {
  Decoder d;
  Flow f;
  decode(d, ipfix(1'700'000'002, 0, 1, {set(2, flow_template())}));
  Bytes withdraw;
  withdraw.u16(kFlowTemplate).u16(0);
  decode(d, ipfix(1'700'000'002, 0, 1, {set(2, withdraw)}));
  EXPECT_EQ(d.templates_active(), 0u);
  EXPECT_TRUE(decode(d, ipfix(1'700'000'002, 0, 1, {set(kFlowTemplate, flow_data(f))})).empty());
  EXPECT_EQ(errors(d, DecodeError::kUnknownTemplate), 1u);
}

TEST(DecoderTest, WithdrawAllKeepsOptionsTemplates) {
  Decoder d;
  decode(d, ipfix(1'700'000'002, 0, 1,
                  {set(2, flow_template()), set(2, flow_template(300)),
                   set(3, Bytes().u16(400).u16(2).u16(1).u16(149).u16(4).u16(41).u16(8))}));
  EXPECT_EQ(d.templates_active(), 3u);
  decode(d, ipfix(1'700'000'002, 0, 1, {set(2, Bytes().u16(2).u16(0))}));
  EXPECT_EQ(d.templates_active(), 1u);
  decode(d, ipfix(1'700'000'002, 0, 1, {set(3, Bytes().u16(3).u16(0))}));
  EXPECT_EQ(d.templates_active(), 0u);
}

TEST(DecoderTest, TemplateRefreshWithANewLayoutReplacesTheOld) {
  Decoder d;
  decode(d, ipfix(1'700'000'002, 0, 1, {set(2, flow_template())}));
  decode(d, ipfix(1'700'000'002, 0, 1,
                  {set(2, template_record(kFlowTemplate, {{12, 4}, {8, 4}, {2, 4}}))}));
  Bytes r;
  r.ip4(9, 9, 9, 9).ip4(8, 8, 8, 8).u32(77);
  auto out = decode(d, ipfix(1'700'000'002, 0, 1, {set(kFlowTemplate, r)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dst[0], 9);
  EXPECT_EQ(out[0].src[0], 8);
  EXPECT_EQ(out[0].packets, 77u);  // reduced-size encoding: 4 bytes for a 64-bit counter
  EXPECT_EQ(d.templates_active(), 1u);
}

TEST(DecoderTest, OptionsRecordsAreSkipped) {
  Decoder d;
  // IPFIX options template 400: scope observationDomainId, option exportedMessageTotalCount.
  Bytes opt;
  opt.u16(400).u16(2).u16(1).u16(149).u16(4).u16(41).u16(8);
  Bytes optdata;
  optdata.u32(1).u64(12345);
  auto out = decode(d, ipfix(1'700'000'002, 0, 1, {set(3, opt), set(400, optdata)}));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.counters().options_records, 1u);
  EXPECT_EQ(d.counters().error_total(), 0u);
  // NetFlow v9 options template (flowset 1): scope length 4, option length 8.
  Bytes v9opt;
  v9opt.u16(257).u16(4).u16(8).u16(1).u16(4).u16(34).u16(4).u16(36).u16(4).u16(0);
  Bytes v9data;
  v9data.u32(0).u32(100).u32(60);
  out = decode(d, v9(1000, 1'700'000'000, 0, 5, {set(1, v9opt), set(257, v9data)}));
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.counters().options_records, 2u);
  EXPECT_EQ(d.counters().error_total(), 0u);
}

TEST(DecoderTest, EnterpriseAndVariableLengthFieldsAreSkipped) {
  Decoder d;
  auto t = template_record(kFlowTemplate, {{8, 4},
                                           {100, 6, 9},  // a vendor field
                                           {12, 4},
                                           {82, kVariableLength},  // interfaceName
                                           {2, 8},
                                           {96, kVariableLength}});  // applicationName
  Bytes r;
  r.ip4(10, 0, 0, 1).u32(0xdeadbeef).u16(0xaaaa).ip4(10, 0, 0, 2).u8(3).u8('e').u8('t').u8('h');
  r.u64(42).u8(255).u16(300);
  for (int i = 0; i < 300; ++i) r.u8('x');
  auto out = decode(d, ipfix(1'700'000'002, 0, 1, {set(2, t), set(kFlowTemplate, r)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dst[3], 2);
  EXPECT_EQ(out[0].packets, 42u);
  EXPECT_EQ(d.counters().error_total(), 0u);
}

TEST(DecoderTest, ReverseElementsMakeABiflow) {
  Decoder d;
  auto t = template_record(kFlowTemplate, {{8, 4},
                                           {12, 4},
                                           {1, 8},
                                           {2, 8},
                                           {1, 8, kReversePen},
                                           {2, 8, kReversePen},
                                           {6, 2, kReversePen},
                                           {6, 2}});
  Bytes r;
  r.ip4(10, 0, 0, 1).ip4(10, 0, 0, 2).u64(500).u64(5).u64(4000).u64(4).u16(0x12).u16(0x02);
  auto out = decode(d, ipfix(1'700'000'002, 0, 1, {set(2, t), set(kFlowTemplate, r)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(out[0].biflow);
  EXPECT_EQ(out[0].rev_bytes, 4000u);
  EXPECT_EQ(out[0].rev_packets, 4u);
  EXPECT_EQ(out[0].rev_tcp_flags, 0x12);
  EXPECT_EQ(out[0].tcp_flags, 0x02);
}

TEST(DecoderTest, IpfixSequenceGapsCountRecords) {
  Decoder d;
  Flow f;
  decode(d, ipfix(1'700'000'002, 0, 1,
                  {set(2, flow_template()), set(kFlowTemplate, flow_records({f, f}))}));
  decode(d, ipfix(1'700'000'002, 2, 1, {set(kFlowTemplate, flow_records({f}))}));
  EXPECT_EQ(d.counters().lost_records, 0u);
  decode(d, ipfix(1'700'000'002, 8, 1, {set(kFlowTemplate, flow_records({f}))}));
  EXPECT_EQ(d.counters().lost_records, 5u);
  // A different domain keeps its own numbering.
  decode(d, ipfix(1'700'000'002, 1000, 7, {set(2, flow_template())}));
  EXPECT_EQ(d.counters().lost_records, 5u);
}

TEST(DecoderTest, SoftflowdNumberingAfterTheMessageIsLearnedNotCountedAsLoss) {
  // softflowd 1.1.0 sends the count of records *including* the message's own, without its
  // options records; RFC 7011 counts those before the message.
  Decoder d;
  Flow f;
  Bytes opt;
  opt.u16(400).u16(2).u16(1).u16(149).u16(4).u16(41).u16(8);
  decode(d, ipfix(1'700'000'002, 2, 1,
                  {set(2, flow_template()), set(3, opt), set(400, Bytes().u32(1).u64(5)),
                   set(kFlowTemplate, flow_records({f, f}))}));
  decode(d, ipfix(1'700'000'002, 6, 1, {set(kFlowTemplate, flow_records({f, f, f, f}))}));
  decode(d, ipfix(1'700'000'002, 7, 1, {set(kFlowTemplate, flow_records({f}))}));
  EXPECT_EQ(d.counters().lost_records, 0u);
  decode(d, ipfix(1'700'000'002, 11, 1, {set(kFlowTemplate, flow_records({f}))}));
  EXPECT_EQ(d.counters().lost_records, 3u);
}

TEST(DecoderTest, ARestartedExporterOnANewPortStartsItsNumberingAfresh) {
  Decoder d;
  Flow f;
  std::vector<ExportRecord> out;
  d.decode(kExporter, v5(1000, 1'700'000'000, 5000, {f}, 0, 0), out, 40000);
  d.decode(kExporter, v5(1000, 1'700'000'000, 0, {f}, 0, 0), out, 40001);
  d.decode(kExporter, v5(1000, 1'700'000'000, 1, {f}, 0, 0), out, 40001);
  EXPECT_EQ(d.counters().lost_records, 0u);
  EXPECT_EQ(d.counters().out_of_order, 0u);
}

TEST(DecoderTest, NetflowV9TemplateDataUptimeTimesAndPacketGaps) {
  Decoder d;
  auto t = template_record(
      300, {{8, 4}, {12, 4}, {22, 4}, {21, 4}, {1, 4}, {2, 4}, {4, 1}, {6, 1}, {7, 2}, {11, 2}});
  Bytes r;
  r.ip4(10, 0, 0, 1).ip4(10, 0, 0, 2).u32(9'000).u32(9'500).u32(600).u32(6).u8(17).u8(0);
  r.u16(5353).u16(53).u16(0);  // two bytes of padding at the end of the flowset
  auto out = decode(d, v9(10'000, 1'700'000'000, 7, 3, {set(0, t), set(300, r)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].start_us, 1'699'999'999'000'000);
  EXPECT_EQ(out[0].end_us, 1'699'999'999'500'000);
  EXPECT_EQ(out[0].proto, 17);
  EXPECT_EQ(out[0].dport, 53);
  EXPECT_EQ(d.counters().records[1], 1u);
  decode(d, v9(10'000, 1'700'000'000, 10, 3, {set(300, r)}));
  EXPECT_EQ(d.counters().lost_datagrams, 2u);
  EXPECT_EQ(d.counters().error_total(), 0u);
}

TEST(DecoderTest, IcmpTypeCodeFieldBecomesTheDestinationPort) {
  Decoder d;
  auto t = template_record(300, {{8, 4}, {12, 4}, {4, 1}, {32, 2}});
  Bytes r;
  r.ip4(10, 0, 0, 1).ip4(10, 0, 0, 2).u8(1).u16(0x0303);
  auto out = decode(d, ipfix(1'700'000'002, 0, 1, {set(2, t), set(300, r)}));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].dport, 0x0303);
  EXPECT_EQ(out[0].sport, 0);
}

}  // namespace
}  // namespace flowsentry::collect
