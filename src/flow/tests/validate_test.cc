#include "flow/validate.h"

#include <cmath>
#include <limits>

#include <gtest/gtest.h>

namespace flowsentry::flow {
namespace {

TEST(ValidateTest, AcceptsIntegersAndReals) {
  double v = 0;
  EXPECT_FALSE(parse_num(kSbytes, "1200", v));
  EXPECT_EQ(v, 1200);
  EXPECT_FALSE(parse_num(kDur, " 0.000009 ", v));
  EXPECT_DOUBLE_EQ(v, 0.000009);
  EXPECT_FALSE(parse_num(kSload, "5.2e9", v));
  EXPECT_DOUBLE_EQ(v, 5.2e9);
}

TEST(ValidateTest, RejectsTextThatIsNotANumber) {
  double v = 0;
  auto p = parse_num(kSbytes, "12x", v);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->field, "sbytes");
  EXPECT_EQ(p->reason, "bad_number");
  EXPECT_EQ(parse_num(kSbytes, "", v)->reason, "missing_value");
}

TEST(ValidateTest, RejectsNonFiniteNumbers) {
  double v = 0;
  EXPECT_EQ(parse_num(kDur, "nan", v)->reason, "non_finite");
  EXPECT_EQ(parse_num(kDur, "inf", v)->reason, "non_finite");
  EXPECT_EQ(parse_num(kDur, "1e400", v)->reason, "non_finite");
  EXPECT_EQ(check_num(kRate, std::numeric_limits<double>::infinity())->reason, "non_finite");
}

TEST(ValidateTest, RejectsNegativeCountsBytesAndDurations) {
  double v = 0;
  EXPECT_EQ(parse_num(kSpkts, "-1", v)->reason, "negative");
  EXPECT_EQ(parse_num(kDbytes, "-5", v)->reason, "negative");
  EXPECT_EQ(parse_num(kDur, "-0.5", v)->reason, "negative");
}

TEST(ValidateTest, RejectsFractionalCounts) {
  EXPECT_EQ(check_num(kSpkts, 1.5)->reason, "not_integer");
  EXPECT_FALSE(check_num(kSload, 1.5));
}

TEST(ValidateTest, TtlMustBeAtMost255) {
  EXPECT_FALSE(check_num(kSttl, 255));
  auto p = check_num(kDttl, 256);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "out_of_range");
  EXPECT_EQ(p->field, "dttl");
}

TEST(ValidateTest, FlagMustBe0Or1) {
  EXPECT_FALSE(check_num(kIsSmIpsPorts, 1));
  EXPECT_EQ(check_num(kIsSmIpsPorts, 2)->reason, "out_of_range");
}

TEST(ValidateTest, EmptyServiceMeansNoneButEmptyProtoIsAnError) {
  std::string out;
  EXPECT_FALSE(set_category("service", " ", out));
  EXPECT_EQ(out, "-");
  EXPECT_EQ(set_category("proto", "", out)->reason, "missing_value");
  EXPECT_EQ(set_category("proto", "tc\x01p", out)->reason, "bad_category");
}

TEST(ValidateTest, UnseenCategoriesAreAccepted) {
  std::string out;
  EXPECT_FALSE(set_category("proto", "quic-new", out));
  EXPECT_EQ(out, "quic-new");
}

TEST(ValidateTest, LabelAndAttackCategory) {
  std::optional<int> label;
  EXPECT_FALSE(set_label("1", label));
  EXPECT_EQ(label, 1);
  EXPECT_EQ(set_label("2", label)->reason, "bad_label");
  std::optional<std::string> cat;
  EXPECT_FALSE(set_attack_cat(" backdoors ", cat));
  EXPECT_EQ(cat, "Backdoor");
  EXPECT_FALSE(set_attack_cat("dos", cat));
  EXPECT_EQ(cat, "DoS");
  EXPECT_EQ(set_attack_cat("Ransomware", cat)->reason, "bad_label");
}

TEST(ValidateTest, EveryFieldHasAMaximumBelowFloatRange) {
  for (size_t i = 0; i < kNumFieldCount; ++i) {
    const auto f = static_cast<NumField>(i);
    EXPECT_LT(kNumFields[f].max, 1e30) << kNumFields[f].name;
    EXPECT_FALSE(check_num(f, kNumFields[f].max)) << kNumFields[f].name;
    auto p = check_num(f, kNumFields[f].max * 2 + 2);
    ASSERT_TRUE(p) << kNumFields[f].name;
    EXPECT_EQ(p->reason, "out_of_range");
    EXPECT_EQ(p->field, kNumFields[f].name);
  }
}

TEST(ValidateAdversarialTest, RejectsCountsBeyondTheirMaximum) {
  double v = 0;
  auto p = parse_num(kSbytes, "1e39", v);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->reason, "out_of_range");
  EXPECT_NE(p->problem.find("maximum"), std::string::npos);
  EXPECT_FALSE(parse_num(kSbytes, "14657531", v));  // the data set's largest
  EXPECT_EQ(parse_num(kCtSrvSrc, "2000000", v)->reason, "out_of_range");
}

TEST(ValidateAdversarialTest, EventTimesLieBetween1990AndOneDayFromNow) {
  const double now = 1.8e9;
  EXPECT_FALSE(check_time("stime", 1.7e9, now));
  EXPECT_FALSE(check_time("stime", kMinEventTime, now));
  EXPECT_FALSE(check_time("stime", now + 3600, now));  // a skewed clock, within a day
  EXPECT_EQ(check_time("stime", now + 2 * 86400, now)->reason, "out_of_range");
  EXPECT_EQ(check_time("stime", 1e300, now)->reason, "out_of_range");
  EXPECT_EQ(check_time("stime", 0, now)->reason, "out_of_range");
  EXPECT_EQ(check_time("ltime", std::nan(""), now)->reason, "non_finite");
  EXPECT_EQ(check_time("ltime", 1e300, now)->field, "ltime");
}

}  // namespace
}  // namespace flowsentry::flow
