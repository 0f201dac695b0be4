#include "common/log.h"

#include <gtest/gtest.h>

namespace flowsentry {
namespace {

TEST(LogAdversarialTest, OutsideTextCannotForgeALogLine) {
  EXPECT_EQ(log_safe("/predict\r\n2026-12-03 [info] admin logged in"),
            "/predict\\x0d\\x0a2026-12-03 [info] admin logged in");
  EXPECT_EQ(log_safe("a\"b\\c\x1b[31m"), "a\\\"b\\\\c\\x1b[31m");
  EXPECT_EQ(log_safe(std::string(500, 'x'), 10), std::string(10, 'x') + "...");
  EXPECT_EQ(log_safe("/api/v1/flows?host=10.0.0.1"), "/api/v1/flows?host=10.0.0.1");
}

}  // namespace
}  // namespace flowsentry
