#include "stream/message.h"

#include <gtest/gtest.h>

#include "stream/generator.h"

namespace flowsentry::stream {
namespace {

flow::FlowRecord sample_flow(uint64_t seed = 3) {
  GeneratorOptions o;
  o.seed = seed;
  FlowGenerator gen(o);
  return gen.next();
}

void expect_same_flow(const flow::FlowRecord& a, const flow::FlowRecord& b) {
  for (size_t f = 0; f < flow::kNumFieldCount; ++f) {
    EXPECT_DOUBLE_EQ(a.num[f], b.num[f]) << flow::kNumFields[f].name;
  }
  EXPECT_EQ(a.proto, b.proto);
  EXPECT_EQ(a.service, b.service);
  EXPECT_EQ(a.state, b.state);
  EXPECT_EQ(a.id, b.id);
  EXPECT_EQ(a.label, b.label);
  EXPECT_EQ(a.attack_cat, b.attack_cat);
}

TEST(MessageTest, JsonValueRoundTripsEveryField) {
  auto rec = sample_flow();
  MessageDecoder dec(MessageFormat::kJson);
  flow::FlowRecord back;
  auto problem = dec.decode(encode_message(rec, MessageFormat::kJson), back);
  ASSERT_FALSE(problem) << problem->problem;
  expect_same_flow(rec, back);
}

TEST(MessageTest, CsvValueInCanonicalOrderRoundTripsEveryField) {
  auto rec = sample_flow(4);
  const std::string value = encode_message(rec, MessageFormat::kCsv);
  EXPECT_EQ(value.find('\n'), std::string::npos);
  MessageDecoder dec(MessageFormat::kCsv);
  flow::FlowRecord back;
  auto problem = dec.decode(value, back);
  ASSERT_FALSE(problem) << problem->problem;
  expect_same_flow(rec, back);
}

TEST(MessageTest, TrailingNewlineIsAccepted) {
  auto rec = sample_flow();
  MessageDecoder dec(MessageFormat::kCsv);
  flow::FlowRecord back;
  EXPECT_FALSE(dec.decode(encode_message(rec, MessageFormat::kCsv) + "\r\n", back));
}

TEST(MessageTest, EmptyValueIsAProblemNotACrash) {
  MessageDecoder dec(MessageFormat::kJson);
  flow::FlowRecord back;
  auto p = dec.decode("", back);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "bad_json");
}

TEST(MessageTest, JsonGivenToCsvDecoderIsRejected) {
  MessageDecoder dec(MessageFormat::kCsv);
  flow::FlowRecord back;
  auto p = dec.decode(encode_message(sample_flow(), MessageFormat::kJson), back);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "bad_csv");
}

TEST(MessageTest, NegativeCountNamesTheField) {
  auto rec = sample_flow();
  auto bad = make_malformed(rec, MessageFormat::kJson, 1);
  MessageDecoder dec(MessageFormat::kJson);
  flow::FlowRecord back;
  auto p = dec.decode(bad, back);
  ASSERT_TRUE(p);
  EXPECT_NE(p->field.find("sbytes"), std::string::npos) << p->field;
  EXPECT_EQ(p->reason, "negative");
}

TEST(MessageTest, EveryMalformedVariantIsRejectedInBothFormats) {
  for (auto format : {MessageFormat::kJson, MessageFormat::kCsv}) {
    MessageDecoder dec(format);
    for (uint64_t v = 0; v < 8; ++v) {
      flow::FlowRecord back;
      auto bad = make_malformed(sample_flow(v + 10), format, v);
      EXPECT_TRUE(dec.decode(bad, back))
          << message_format_name(format) << " variant " << v << ": " << bad;
    }
  }
}

TEST(MessageTest, FormatNamesParse) {
  EXPECT_EQ(*parse_message_format("json"), MessageFormat::kJson);
  EXPECT_EQ(*parse_message_format("csv"), MessageFormat::kCsv);
  auto bad = parse_message_format("avro");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("json or csv"), std::string::npos);
}

TEST(MessageTest, OriginIsTopicPartitionOffset) {
  EXPECT_EQ(format_origin(flow::RecordKey{"flows", 3, 1234}), "flows/3/1234");
}

}  // namespace
}  // namespace flowsentry::stream
