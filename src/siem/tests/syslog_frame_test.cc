#include <gtest/gtest.h>

#include "siem/syslog_frame.h"

namespace flowsentry::siem {
namespace {

TEST(SyslogFrameTest, Rfc5424HeaderHasPriVersionTimeHostAppProcMsgidAndNoStructuredData) {
  SyslogHeader h;
  h.facility = 16;
  h.severity = 4;
  h.time = 1764745200.25;
  h.hostname = "sensor1";
  h.procid = "123";
  h.msgid = "port_scan";
  EXPECT_EQ(rfc5424(h, "hello"),
            "<132>1 2025-12-03T07:00:00.250Z sensor1 flowsentry 123 port_scan - hello");
}

TEST(SyslogFrameTest, EmptyFieldsAreNilAndSpacesCannotShiftFields) {
  SyslogHeader h;
  h.time = 0;
  h.hostname = "";
  h.app_name = "flow sentry";
  h.msgid = std::string(40, 'm');
  const auto m = rfc5424(h, "x");
  EXPECT_EQ(m, "<134>1 1970-01-01T00:00:00.000Z - flow_sentry - " + std::string(32, 'm') + " - x");
}

TEST(SyslogFrameTest, AdversarialControlAndNonAsciiBytesInHeaderFieldsAreReplaced) {
  EXPECT_EQ(syslog_field("a\nb\xc3\xa9", 48), "a_b__");
}

TEST(SyslogFrameTest, OctetCountingPrefixesTheByteLength) {
  EXPECT_EQ(octet_counted("abc"), "3 abc");
  EXPECT_EQ(octet_counted("\xc3\xa9"), "2 \xc3\xa9");
}

TEST(SyslogFrameTest, AlertSeverityMapsToSyslogSeverity) {
  EXPECT_EQ(syslog_severity(detect::Severity::kCritical), 2);
  EXPECT_EQ(syslog_severity(detect::Severity::kWarning), 4);
  EXPECT_EQ(syslog_severity(detect::Severity::kInfo), 6);
}

}  // namespace
}  // namespace flowsentry::siem
