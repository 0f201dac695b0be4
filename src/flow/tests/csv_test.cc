#include "flow/csv.h"

#include <sstream>

#include <gtest/gtest.h>

#include "flow/tests/fixtures.h"

namespace flowsentry::flow {
namespace {

using testing::kHeader;
using testing::kRowHttp;
using testing::kRowUdp;

std::unique_ptr<CsvReader> reader_for(const std::string& text) {
  auto r = CsvReader::from_stream(std::make_unique<std::istringstream>(text), "mem.csv");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().to_string());
  return r.ok() ? std::move(r.value()) : nullptr;
}

TEST(CsvTest, ReadsEveryFieldOfARow) {
  auto r = reader_for(kHeader + "\n" + kRowHttp + "\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_EQ(rec.id, 7);
  EXPECT_EQ(rec.proto, "tcp");
  EXPECT_EQ(rec.service, "http");
  EXPECT_EQ(rec.state, "FIN");
  EXPECT_DOUBLE_EQ(rec[kDur], 0.5);
  EXPECT_EQ(rec[kSbytes], 1200);
  EXPECT_EQ(rec[kDbytes], 5400);
  EXPECT_EQ(rec[kSttl], 31);
  EXPECT_EQ(rec[kStcpb], 123456);
  EXPECT_EQ(rec[kResponseBodyLen], 4096);
  EXPECT_EQ(rec[kCtSrvDst], 4);
  EXPECT_EQ(rec.attack_cat, "Normal");
  EXPECT_EQ(rec.label, 0);
  EXPECT_EQ(rec.key.source, "mem.csv");
  EXPECT_EQ(rec.key.offset, 2);
  EXPECT_EQ(r->next(rec, p), CsvReader::Next::kEnd);
}

TEST(CsvTest, HandlesByteOrderMarkAndCrlf) {
  auto r = reader_for("\xEF\xBB\xBF" + kHeader + "\r\n" + kRowHttp + "\r\n" + kRowUdp + "\r\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_EQ(rec.label, 0);  // the last column lost its '\r'
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_EQ(rec.service, "-");
  EXPECT_EQ(rec.attack_cat, "Generic");
  EXPECT_EQ(r->line(), 3);
}

TEST(CsvTest, ColumnsInAnyOrderAndExtraColumnsIgnored) {
  // Move "proto" to the end and add a column nobody knows.
  std::string header = kHeader;
  header.replace(header.find(",proto"), 6, "");
  header += ",proto,comment";
  std::string row = kRowUdp;
  row.replace(row.find(",udp"), 4, "");
  row += ",udp,\"hello, world\"";
  auto r = reader_for(header + "\n" + row + "\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_EQ(rec.proto, "udp");
  EXPECT_EQ(rec[kSbytes], 114);
}

TEST(CsvTest, QuotedFieldsWithCommasQuotesAndLineBreaks) {
  CsvFields f;
  ASSERT_TRUE(split_csv_line(R"(a,"b,c","say ""hi""",,"line1)"
                             "\n"
                             R"(line2","""",x"")",
                             f));
  ASSERT_EQ(f.count, 7u);
  EXPECT_EQ(f.views[0], "a");
  EXPECT_EQ(f.views[1], "b,c");
  EXPECT_EQ(f.views[2], "say \"hi\"");
  EXPECT_EQ(f.views[3], "");
  EXPECT_EQ(f.views[4], "line1\nline2");
  EXPECT_EQ(f.views[5], "\"");
  EXPECT_EQ(f.views[6], "x\"\"");  // quotes inside an unquoted field are plain text
  EXPECT_FALSE(split_csv_line("\"open", f));
  EXPECT_FALSE(split_csv_line("\"a\"\"b", f));
}

TEST(CsvTest, QuotedLineBreakKeepsLineNumbersRight) {
  std::string header = kHeader + ",note";
  auto r = reader_for(header + "\n" + kRowHttp + ",\"two\nlines\"\n" + kRowUdp + ",x\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_EQ(r->line(), 2);
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_EQ(r->line(), 4);
}

TEST(CsvTest, MissingRequiredColumnIsNamed) {
  std::string header = kHeader;
  header.replace(header.find(",sttl"), 5, "");
  auto r = CsvReader::from_stream(std::make_unique<std::istringstream>(header + "\n"), "x.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("missing required column sttl"), std::string::npos);
  EXPECT_EQ(r.error().where, "x.csv:1");
}

TEST(CsvTest, BadValueReportsLineColumnAndValue) {
  std::string bad = kRowHttp;
  bad.replace(bad.find(",1200,"), 6, ",12o0,");
  auto r = reader_for(kHeader + "\n" + kRowHttp + "\n" + bad + "\n" + kRowUdp + "\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord);
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kInvalid);
  EXPECT_EQ(r->line(), 3);
  EXPECT_EQ(p.field, "sbytes");
  EXPECT_NE(p.problem.find("12o0"), std::string::npos);
  // The reader goes on after a bad row.
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord);
  EXPECT_EQ(rec.proto, "udp");
}

TEST(CsvTest, WrongFieldCountIsAProblem) {
  auto r = reader_for(kHeader + "\n1,2,3\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kInvalid);
  EXPECT_EQ(p.reason, "bad_csv");
  EXPECT_NE(p.problem.find("has 3 fields"), std::string::npos);
}

TEST(CsvTest, EmptyLinesAreSkipped) {
  auto r = reader_for(kHeader + "\n\n" + kRowHttp + "\n\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord);
  EXPECT_EQ(r->line(), 3);
  EXPECT_EQ(r->next(rec, p), CsvReader::Next::kEnd);
}

TEST(CsvTest, OriginalReleaseColumnNamesAreAliases) {
  std::string header = kHeader;
  header.replace(header.find("smean"), 5, "Smeansz");
  auto r = reader_for(header + "\n" + kRowHttp + "\n");
  FlowRecord rec;
  FieldProblem p;
  ASSERT_EQ(r->next(rec, p), CsvReader::Next::kRecord) << p.problem;
  EXPECT_EQ(rec[kSmean], 120);
}

TEST(CsvTest, CanonicalSchemaDecodesAHeaderlessMessage) {
  FlowRecord rec;
  CsvFields scratch;
  EXPECT_FALSE(CsvSchema::canonical().decode(kRowUdp, rec, scratch));
  EXPECT_EQ(rec.proto, "udp");
  EXPECT_EQ(rec[kSttl], 254);
}

TEST(CsvTest, EmptyFileIsAnError) {
  auto r = CsvReader::from_stream(std::make_unique<std::istringstream>(""), "e.csv");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("empty"), std::string::npos);
}

}  // namespace
}  // namespace flowsentry::flow
