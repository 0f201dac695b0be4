#include "flow/zeek_log.h"

#include <gtest/gtest.h>

namespace flowsentry::flow {
namespace {

using Line = ZeekLogParser::Line;

constexpr const char* kHeader[] = {"#separator \\x09",
                                   "#set_separator\t,",
                                   "#empty_field\t(empty)",
                                   "#unset_field\t-",
                                   "#path\tconn",
                                   "#fields\tts\tuid\tproto\ttunnel_parents",
                                   "#types\ttime\tstring\tenum\tset[string]"};

ZeekLogParser with_header() {
  ZeekLogParser p({"ts", "proto", "tunnel_parents", "uid"}, 2);
  std::vector<ZeekValue> v;
  FieldProblem problem;
  for (const char* line : kHeader) EXPECT_EQ(p.parse(line, v, problem), Line::kHeader);
  return p;
}

TEST(ZeekLogTest, TsvRowGivesTheWantedFieldsInTheirOrder) {
  auto p = with_header();
  std::vector<ZeekValue> v;
  FieldProblem problem;
  ASSERT_EQ(p.parse("1700000000.5\tCabc\ttcp\tA,B", v, problem), Line::kRow) << problem.problem;
  EXPECT_EQ(v[0].text, "1700000000.5");
  EXPECT_EQ(v[1].text, "tcp");
  EXPECT_EQ(v[2].text, "A,B");
  EXPECT_EQ(v[3].text, "Cabc");
  EXPECT_EQ(p.path(), "conn");
}

TEST(ZeekLogTest, UnsetAndEmptyFieldsAreTold) {
  auto p = with_header();
  std::vector<ZeekValue> v;
  FieldProblem problem;
  ASSERT_EQ(p.parse("1\t-\ttcp\t(empty)", v, problem), Line::kRow);
  EXPECT_EQ(v[3].state, ZeekValue::kUnset);
  EXPECT_EQ(v[2].state, ZeekValue::kEmpty);
}

TEST(ZeekLogTest, EscapedBytesAreDecoded) {
  auto p = with_header();
  std::vector<ZeekValue> v;
  FieldProblem problem;
  ASSERT_EQ(p.parse("1\tC\\x09d\ttcp\t-", v, problem), Line::kRow);
  EXPECT_EQ(v[3].text, "C\td");
}

TEST(ZeekLogTest, CloseEndsTheBlock) {
  auto p = with_header();
  std::vector<ZeekValue> v;
  FieldProblem problem;
  EXPECT_EQ(p.parse("#close\t2023-11-14-22-14-00", v, problem), Line::kHeader);
  EXPECT_EQ(p.parse("1\tC\ttcp\t-", v, problem), Line::kInvalid);
  EXPECT_EQ(problem.reason, "no_header");
}

TEST(ZeekLogTest, JsonLineWithArraysNumbersAndIsoTime) {
  ZeekLogParser p({"ts", "proto", "tunnel_parents", "uid", "orig_pkts"}, 2);
  std::vector<ZeekValue> v;
  FieldProblem problem;
  ASSERT_EQ(p.parse(R"({"ts":"2023-11-14T22:13:20.25Z","proto":"udp","tunnel_parents":["A","B"],)"
                    R"("orig_pkts":3,"extra":{"x":1}})",
                    v, problem),
            Line::kRow)
      << problem.problem;
  EXPECT_EQ(parse_zeek_time(v[0].text), 1700000000.25);
  EXPECT_EQ(v[2].text, "A,B");
  EXPECT_EQ(v[3].state, ZeekValue::kUnset);  // omitted: unset
  EXPECT_EQ(v[4].text, "3");
}

TEST(ZeekLogTest, JsonNestedIdObjectIsFlattened) {
  ZeekLogParser p({"id.orig_h"}, 1);
  std::vector<ZeekValue> v;
  FieldProblem problem;
  ASSERT_EQ(p.parse(R"({"id":{"orig_h":"10.0.0.1"}})", v, problem), Line::kRow);
  EXPECT_EQ(v[0].text, "10.0.0.1");
}

TEST(ZeekLogTest, TimesInBothForms) {
  EXPECT_EQ(parse_zeek_time("1700000000"), 1700000000.0);
  EXPECT_EQ(parse_zeek_time("2023-11-14T22:13:20Z"), 1700000000.0);
  EXPECT_EQ(parse_zeek_time("2023-11-14T22:13:20.5"), 1700000000.5);
  EXPECT_FALSE(parse_zeek_time("yesterday"));
  EXPECT_FALSE(parse_zeek_time("2023-13-14T22:13:20Z"));
}

TEST(ZeekLogAdversarialTest, TruncatedLineIsRejected) {
  auto p = with_header();
  std::vector<ZeekValue> v;
  FieldProblem problem;
  EXPECT_EQ(p.parse("1700000000.5\tCabc", v, problem), Line::kInvalid);
  EXPECT_EQ(problem.reason, "truncated_line");
  EXPECT_EQ(p.parse("1\tC\ttcp\t-\textra", v, problem), Line::kInvalid);
  EXPECT_EQ(problem.reason, "extra_columns");
}

TEST(ZeekLogAdversarialTest, MissingRequiredColumnRejectsEveryRow) {
  ZeekLogParser p({"ts", "proto"}, 2);
  std::vector<ZeekValue> v;
  FieldProblem problem;
  p.parse("#separator \\x09", v, problem);
  p.parse("#fields\tts\tuid", v, problem);
  EXPECT_EQ(p.parse("1\tC", v, problem), Line::kInvalid);
  EXPECT_EQ(problem.reason, "missing_column");
  EXPECT_EQ(problem.field, "proto");
}

TEST(ZeekLogAdversarialTest, MalformedJsonIsRejected) {
  ZeekLogParser p({"ts", "proto"}, 2);
  std::vector<ZeekValue> v;
  FieldProblem problem;
  for (const char* bad : {R"({"ts":1,"proto":)", R"({"ts":1,"proto":"tcp")", R"({"ts":[{}]})",
                          R"({"ts":1})", "{\"ts\":1,\"proto\":\"tcp\"}\x01"}) {
    problem = {};
    EXPECT_EQ(p.parse(bad, v, problem), Line::kInvalid) << bad;
    EXPECT_FALSE(problem.reason.empty()) << bad;
  }
}

TEST(ZeekLogAdversarialTest, HostileHeadersNeverCrash) {
  ZeekLogParser p({"ts"}, 1);
  std::vector<ZeekValue> v;
  FieldProblem problem;
  for (const char* line : {"#separator ", "#separator \\x", "#separator \\xZZ", "#fields", "#",
                           "#fields\t", "#separator \\x09\\x09", "x"}) {
    p.parse(line, v, problem);
  }
  p.parse("#separator ", v, problem);  // an empty separator: a row is one column
  p.parse("#fields ts", v, problem);
  EXPECT_NE(p.parse("1", v, problem), Line::kHeader);
}

}  // namespace
}  // namespace flowsentry::flow
