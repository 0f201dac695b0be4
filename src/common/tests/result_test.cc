#include "common/result.h"

#include <gtest/gtest.h>

namespace flowsentry {
namespace {

Result<int> half(int v) {
  if (v % 2) return make_error(ErrorCode::kInvalidArgument, "odd", "arg");
  return v / 2;
}

TEST(ResultTest, CarriesValueOrError) {
  auto ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().to_string(), "arg: odd");
}

TEST(ResultTest, StatusDefaultsToOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  Status e = make_error(ErrorCode::kIo, "disk full");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.error().to_string(), "disk full");
  EXPECT_STREQ(error_code_name(e.error().code), "io");
}

}  // namespace
}  // namespace flowsentry
