#include <gtest/gtest.h>

#include "siem/cef.h"
#include "siem/tests/samples.h"

namespace flowsentry::siem {
namespace {

TEST(CefTest, HeaderEscapesPipeAndBackslashAndFlattensLineBreaks) {
  EXPECT_EQ(cef_escape_header("a|b\\c\nd=e"), "a\\|b\\\\c d=e");
}

TEST(CefTest, ExtensionValuesEscapeEqualsBackslashAndLineBreaks) {
  EXPECT_EQ(cef_escape_value("a=b\\c\nd\re|f"), "a\\=b\\\\c\\nd\\re|f");
}

TEST(CefTest, AlertLineHasTheSevenHeaderFieldsAndHostExtensions) {
  const auto line = cef_alert(testing::behaviour_alert());
  EXPECT_TRUE(line.starts_with("CEF:0|flowsentry|flowsentry|"));
  EXPECT_NE(line.find("|port_scan|10.0.0.5 -> 6 hosts, 412 ports in 60 s|10|"), std::string::npos)
      << line;
  EXPECT_NE(line.find(" src=10.0.0.5 "), std::string::npos);
  EXPECT_NE(line.find(" spt=40001 "), std::string::npos);
  EXPECT_NE(line.find(" dst=10.0.0.9 "), std::string::npos);
  EXPECT_NE(line.find(" dpt=443 "), std::string::npos);
  EXPECT_NE(line.find("rt=1764745300500"), std::string::npos);
}

TEST(CefTest, AdversarialStringsCannotBreakTheLineOrAddFields) {
  const auto line = cef_alert(testing::hostile_alert());
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  // The header's seven unescaped '|' end at the severity: the hostile name stays one field.
  std::vector<std::string> header(1);
  size_t i = 0;
  for (; i < line.size() && header.size() < 8; ++i) {
    if (line[i] == '\\') {
      header.back() += line.substr(i, 2);
      ++i;
    } else if (line[i] == '|') {
      header.emplace_back();
    } else {
      header.back() += line[i];
    }
  }
  ASSERT_EQ(header.size(), 8u) << line;
  EXPECT_EQ(header[5], "line one line two \\| pipe \\\\ backslash = equals  \xc3\xa9");
  EXPECT_EQ(header[6], "3");
  EXPECT_NE(line.find("msg=line one\\nline two | pipe \\\\ backslash \\= equals \\r"),
            std::string::npos)
      << line;
  EXPECT_NE(line.find("cs1=proto:a|b\\\\c\\=d"), std::string::npos) << line;
}

TEST(CefTest, VerdictLineCarriesFlowFieldsAndScore) {
  const auto line = cef_verdict(testing::anomaly_with_hosts(), 0);
  EXPECT_NE(line.find("|anomaly|Anomalous flow|10|"), std::string::npos) << line;
  for (const char* part : {"src=10.0.0.5", "spt=51515", "dst=192.168.1.20", "dpt=80", "proto=tcp",
                           "app=http", "cat=Exploits", "cfp1=0.973"}) {
    EXPECT_NE(line.find(part), std::string::npos) << part << " in " << line;
  }
}

}  // namespace
}  // namespace flowsentry::siem
