#include "flow/json_codec.h"

#include <set>

#include <gtest/gtest.h>

#include "flow/tests/fixtures.h"

namespace flowsentry::flow {
namespace {

using testing::kJsonHttp;

std::string with(std::string json, const std::string& from, const std::string& to) {
  json.replace(json.find(from), from.size(), to);
  return json;
}

TEST(JsonCodecTest, DecodesOneObject) {
  JsonDecoder d;
  FlowRecord rec;
  auto p = d.decode_one(kJsonHttp, rec);
  ASSERT_FALSE(p) << p->field << " " << p->problem;
  EXPECT_EQ(rec.proto, "tcp");
  EXPECT_EQ(rec[kSbytes], 1200);
  EXPECT_DOUBLE_EQ(rec[kTcprtt], 0.125);
  EXPECT_EQ(rec.label, 0);
  EXPECT_EQ(rec.id, 7);
}

TEST(JsonCodecTest, DecodesAnArrayAndNamesTheBadElementByPointer) {
  JsonDecoder d;
  std::string bad = with(kJsonHttp, "\"sttl\":31", "\"sttl\":300");
  std::string doc = "[" + kJsonHttp + "," + bad + "," + kJsonHttp + "]";
  std::vector<FlowRecord> out;
  std::vector<RecordProblem> problems;
  bool is_array = false;
  ASSERT_TRUE(d.decode(doc, out, problems, &is_array).ok());
  EXPECT_TRUE(is_array);
  EXPECT_EQ(out.size(), 2u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].index, 1u);
  EXPECT_EQ(problems[0].problem.field, "/1/sttl");
  EXPECT_EQ(problems[0].problem.reason, "out_of_range");
}

TEST(JsonCodecAdversarialTest, FarFutureAndAncientTimesAreProblems) {
  JsonDecoder d;
  FlowRecord rec;
  for (const char* t : {"1e300", "-5", "0", "99999999999"}) {
    auto p = d.decode_one(with(kJsonHttp, "{", std::string("{\"stime\":") + t + ","), rec);
    ASSERT_TRUE(p) << t;
    EXPECT_EQ(p->field, "/stime") << t;
  }
  ASSERT_FALSE(d.decode_one(with(kJsonHttp, "{", "{\"stime\":1700000000.5,"), rec));
  EXPECT_EQ(rec.stime, 1700000000.5);
}

TEST(JsonCodecAdversarialTest, HugeCountsAreProblemsNotInfinity) {
  JsonDecoder d;
  FlowRecord rec;
  auto p = d.decode_one(with(kJsonHttp, "\"spkts\":10", "\"spkts\":1e39"), rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "/spkts");
  EXPECT_EQ(p->reason, "out_of_range");
}

TEST(JsonCodecAdversarialTest, ALongArrayIsRefusedBeforeAnyElementIsDecoded) {
  JsonDecoder d;
  std::string zeros = "[0";
  for (int i = 0; i < 20000; ++i) zeros += ",0";
  zeros += "]";
  std::vector<FlowRecord> out;
  std::vector<RecordProblem> problems;
  auto st = d.decode(zeros, out, problems, nullptr, 10000);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(st.error().message.find("at most 10000"), std::string::npos);
  EXPECT_TRUE(out.empty());
  EXPECT_TRUE(problems.empty());  // decoding each element first gave 20,001 problems
  std::string two = "[" + kJsonHttp + "," + kJsonHttp + "]";
  ASSERT_TRUE(d.decode(two, out, problems, nullptr, 2).ok());
  EXPECT_EQ(out.size(), 2u);
}

TEST(JsonCodecTest, MissingFieldIsNamed) {
  JsonDecoder d;
  FlowRecord rec;
  auto p = d.decode_one(with(kJsonHttp, "\"dwin\":255,", ""), rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "/dwin");
  EXPECT_EQ(p->reason, "missing_field");
}

TEST(JsonCodecTest, WrongTypesAreProblems) {
  JsonDecoder d;
  FlowRecord rec;
  auto p = d.decode_one(with(kJsonHttp, "\"spkts\":10", "\"spkts\":[1]"), rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "/spkts");
  EXPECT_EQ(p->reason, "bad_number");
  p = d.decode_one(with(kJsonHttp, "\"proto\":\"tcp\"", "\"proto\":6"), rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "/proto");
  p = d.decode_one(with(kJsonHttp, "\"label\":0", "\"label\":5"), rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "bad_label");
}

TEST(JsonCodecTest, NumbersGivenAsStringsAreAccepted) {
  JsonDecoder d;
  FlowRecord rec;
  EXPECT_FALSE(d.decode_one(with(kJsonHttp, "\"sbytes\":1200", "\"sbytes\":\"1200\""), rec));
  EXPECT_EQ(rec[kSbytes], 1200);
  auto p = d.decode_one(with(kJsonHttp, "\"sbytes\":1200", "\"sbytes\":\"-3\""), rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "negative");
  EXPECT_EQ(p->field, "/sbytes");
}

TEST(JsonCodecTest, LabelsAreOptional) {
  JsonDecoder d;
  FlowRecord rec;
  auto live = with(with(kJsonHttp, ",\"attack_cat\":\"Normal\"", ""), ",\"label\":0", "");
  ASSERT_FALSE(d.decode_one(live, rec));
  EXPECT_FALSE(rec.label);
  EXPECT_FALSE(rec.attack_cat);
}

TEST(JsonCodecTest, MalformedJsonIsAnError) {
  JsonDecoder d;
  std::vector<FlowRecord> out;
  std::vector<RecordProblem> problems;
  EXPECT_FALSE(d.decode("{\"dur\": ", out, problems).ok());
  EXPECT_FALSE(d.decode("42", out, problems).ok());
  FlowRecord rec;
  auto p = d.decode_one("[1,2]", rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "bad_json");
  p = d.decode_one(kJsonHttp + "}", rec);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "bad_json");
}

TEST(JsonCodecTest, NonObjectArrayElementIsAProblemNotAFailure) {
  JsonDecoder d;
  std::vector<FlowRecord> out;
  std::vector<RecordProblem> problems;
  ASSERT_TRUE(d.decode("[" + kJsonHttp + ",7]", out, problems).ok());
  EXPECT_EQ(out.size(), 1u);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].problem.field, "/1");
  EXPECT_EQ(problems[0].problem.reason, "bad_json");
}

// Valid flows keep their order around bad elements, each bad one is named by its own index,
// and flows already in the output stay.
TEST(JsonCodecTest, LongArraysKeepOrderAndIndexes) {
  JsonDecoder d;
  const size_t n = 601;
  const std::set<size_t> bad{0, 299, 300, 301, 600};
  std::string doc = "[";
  for (size_t i = 0; i < n; ++i) {
    if (i) doc += ',';
    doc += bad.count(i)
               ? (i == 300 ? std::string("7") : with(kJsonHttp, "\"sttl\":31", "\"sttl\":300"))
               : with(kJsonHttp, "\"id\":7", "\"id\":" + std::to_string(i));
  }
  doc += "]";
  std::vector<FlowRecord> out(1);
  out[0].id = -1;
  std::vector<RecordProblem> problems;
  ASSERT_TRUE(d.decode(doc, out, problems).ok());
  ASSERT_EQ(out.size(), 1 + n - bad.size());
  EXPECT_EQ(out[0].id, -1);
  size_t at = 1;
  for (size_t i = 0; i < n; ++i) {
    if (!bad.count(i)) {
      EXPECT_EQ(out[at++].id, static_cast<int64_t>(i));
    }
  }
  ASSERT_EQ(problems.size(), bad.size());
  size_t k = 0;
  for (size_t i : bad) {
    EXPECT_EQ(problems[k].index, i);
    EXPECT_EQ(problems[k].problem.field, i == 300 ? "/300" : "/" + std::to_string(i) + "/sttl");
    ++k;
  }
}

TEST(JsonCodecTest, EncodeThenDecodeRoundTrips) {
  JsonDecoder d;
  FlowRecord a;
  ASSERT_FALSE(d.decode_one(kJsonHttp, a));
  a.proto = "we\"ird";
  a.stime = 1700000000.25;
  FlowRecord b;
  auto p = d.decode_one(to_json(a), b);
  ASSERT_FALSE(p) << p->problem;
  EXPECT_EQ(a.num, b.num);
  EXPECT_EQ(b.proto, "we\"ird");
  EXPECT_EQ(b.stime, a.stime);
  EXPECT_EQ(b.attack_cat, a.attack_cat);
}

}  // namespace
}  // namespace flowsentry::flow
