// Hostile datagrams: every one is counted by reason, nothing is read past its bounds, and
// memory stays within DecoderLimits whatever arrives.
#include <gtest/gtest.h>

#include <random>

#include "collect/collector.h"
#include "collect/decoder.h"
#include "collect/tests/datagrams.h"

namespace flowsentry::collect {
namespace {

using namespace testing;

size_t errors(const Decoder& d, DecodeError e) {
  return d.counters().errors[static_cast<size_t>(e)];
}

void feed(Decoder& d, const std::vector<uint8_t>& bytes) {
  std::vector<ExportRecord> out;
  d.decode(kExporter, bytes, out);
}

TEST(CollectAdversarialTest, RandomDatagramsAreCountedNeverCrash) {
  std::mt19937 rng(7);
  Collector c({.limits = {.max_sessions = 16, .max_templates = 16, .max_pending_sets = 16}});
  std::vector<uint8_t> d;
  for (int i = 0; i < 20000; ++i) {
    d.resize(rng() % 600);
    for (auto& b : d) b = static_cast<uint8_t>(rng());
    if (d.size() >= 2) {  // a valid version most of the time, so the inner parsers are reached
      d[0] = 0;
      d[1] = std::array<uint8_t, 4>{5, 9, 10, 10}[rng() % 4];
    }
    c.add(kExporter, d, i);
  }
  c.finish();
  std::vector<flow::FlowRecord> out;
  std::vector<flow::FieldProblem> rejected;
  c.take(out, rejected);
  EXPECT_EQ(c.decoder_counters().datagrams, 20000u);
  EXPECT_GT(c.decoder_counters().error_total(), 0u);
  EXPECT_LE(c.pending_sets(), 16u);
  EXPECT_LE(c.templates_active(), 16u * 16u);
}

TEST(CollectAdversarialTest, TemplatesPerSessionAreBounded) {
  Decoder d({.max_templates = 8});
  for (uint16_t id = 256; id < 356; ++id) {
    feed(d, ipfix(1'700'000'000, 0, 1, {set(2, flow_template(id))}));
  }
  EXPECT_EQ(d.templates_active(), 8u);
  EXPECT_EQ(errors(d, DecodeError::kTemplateLimit), 92u);
  // A refresh of a held template is still accepted.
  feed(d, ipfix(1'700'000'000, 0, 1, {set(2, flow_template(256))}));
  EXPECT_EQ(errors(d, DecodeError::kTemplateLimit), 92u);
}

TEST(CollectAdversarialTest, ExporterSessionsAreBounded) {
  Decoder d({.max_sessions = 4});
  for (uint32_t domain = 0; domain < 100; ++domain) {
    feed(d, ipfix(1'700'000'000, 0, domain, {set(2, flow_template())}));
  }
  EXPECT_EQ(d.sessions(), 4u);
  EXPECT_EQ(errors(d, DecodeError::kSessionLimit), 96u);
}

TEST(CollectAdversarialTest, DataWithoutTemplatesIsBufferedBoundedThenDropped) {
  Decoder d({.max_pending_sets = 10, .max_pending_bytes = 1 << 20});
  Flow f;
  for (int i = 0; i < 1000; ++i) {
    feed(d, ipfix(1'700'000'000, 0, 1, {set(static_cast<uint16_t>(300 + i % 50), flow_data(f))}));
  }
  EXPECT_EQ(d.pending_sets(), 10u);
  EXPECT_EQ(errors(d, DecodeError::kUnknownTemplate), 1000u);
  EXPECT_EQ(errors(d, DecodeError::kPendingDropped), 990u);
}

TEST(CollectAdversarialTest, TruncatedRecordsAreCounted) {
  Decoder d;
  Flow f;
  auto v5bytes = v5(1000, 1'700'000'000, 0, {f, f, f}, 0, 0);
  v5bytes.resize(v5bytes.size() - 60);  // the third record and part of the second are gone
  std::vector<ExportRecord> out;
  d.decode(kExporter, v5bytes, out);
  EXPECT_EQ(out.size(), 1u);
  EXPECT_EQ(errors(d, DecodeError::kTruncatedRecord), 1u);
  // An IPFIX variable-length field that claims more bytes than the set holds.
  Bytes r;
  r.ip4(1, 2, 3, 4).u8(255).u16(5000).u8('x');
  out.clear();
  d.decode(kExporter,
           ipfix(1'700'000'000, 0, 1,
                 {set(2, template_record(300, {{8, 4}, {82, kVariableLength}})), set(300, r)}),
           out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(errors(d, DecodeError::kTruncatedRecord), 2u);
}

TEST(CollectAdversarialTest, WrongLengthsAreCounted) {
  Decoder d;
  auto m = ipfix(1'700'000'000, 0, 1, {set(2, flow_template())});
  m.push_back(0);  // message length no longer matches the datagram
  feed(d, m);
  EXPECT_EQ(errors(d, DecodeError::kBadLength), 1u);
  Bytes bad_set;
  bad_set.u16(256).u16(2);  // shorter than a set header
  feed(d, ipfix(1'700'000'000, 0, 1, {bad_set}));
  Bytes past_end;
  past_end.u16(256).u16(400).u32(0);
  feed(d, ipfix(1'700'000'000, 0, 1, {past_end}));
  EXPECT_EQ(errors(d, DecodeError::kBadSetLength), 2u);
  feed(d, {0, 10, 0});
  feed(d, {0, 5});
  EXPECT_EQ(errors(d, DecodeError::kTooShort), 2u);
  feed(d, {0, 11, 0, 0});
  EXPECT_EQ(errors(d, DecodeError::kBadVersion), 1u);
  EXPECT_EQ(d.counters().records[0] + d.counters().records[2], 0u);
}

TEST(CollectAdversarialTest, TemplatesThatDescribeNothingOrOverrunAreRefused) {
  Decoder d;
  feed(d, ipfix(1'700'000'000, 0, 1, {set(2, template_record(300, {{8, 0}, {12, 0}}))}));
  Bytes overrun;
  overrun.u16(301).u16(1000).u16(8).u16(4);  // 1000 fields announced, one present
  feed(d, ipfix(1'700'000'000, 0, 1, {set(2, overrun)}));
  feed(d, ipfix(1'700'000'000, 0, 1, {set(2, template_record(5, {{8, 4}}))}));  // id < 256
  EXPECT_EQ(errors(d, DecodeError::kBadTemplate), 3u);
  EXPECT_EQ(d.templates_active(), 0u);
}

TEST(CollectAdversarialTest, HugeCountsAndTimesAreRefusedNotPassedOn) {
  Collector c({.pairing = {.window_us = 0}});
  Flow f;
  f.bytes = ~uint64_t{0};
  Flow g;
  g.start_ms = g.end_ms = 99'999'999'999'999;
  c.add(kExporter,
        ipfix(1'700'000'000, 0, 1,
              {set(2, flow_template()), set(kFlowTemplate, flow_records({f, g}))}),
        0);
  std::vector<flow::FlowRecord> out;
  std::vector<flow::FieldProblem> rejected;
  c.take(out, rejected);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(rejected.size(), 2u);
}

}  // namespace
}  // namespace flowsentry::collect
