// The CMake project version is the one source; files that must repeat it are checked here.
#include "common/version.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <string>

namespace flowsentry {
namespace {

std::string read_source(const std::string& relative) {
  std::ifstream in(std::string(FLOWSENTRY_SOURCE_DIR) + "/" + relative);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The first "version": "…" of a package.json / package-lock.json is the package's own.
std::string first_json_version(const std::string& text) {
  std::smatch m;
  static const std::regex kVersionField(R"re("version"\s*:\s*"([^"]*)")re");
  return std::regex_search(text, m, kVersionField) ? m[1].str() : "";
}

TEST(VersionTest, UserAgentNamesTheVersion) {
  EXPECT_EQ(std::string(kUserAgent), std::string("flowsentry/") + kVersion);
  EXPECT_TRUE(std::regex_match(std::string(kVersion), std::regex(R"(\d+\.\d+\.\d+)")));
}

TEST(VersionTest, WebPackageHasTheProjectVersion) {
  EXPECT_EQ(first_json_version(read_source("web/package.json")), kVersion)
      << "set web/package.json's version to the project() version of CMakeLists.txt";
  EXPECT_EQ(first_json_version(read_source("web/package-lock.json")), kVersion)
      << "set web/package-lock.json's version to the project() version of CMakeLists.txt";
}

TEST(VersionTest, ChangelogHasASectionForTheVersion) {
  const auto changelog = read_source("CHANGELOG.md");
  EXPECT_NE(changelog.find(std::string("## [") + kVersion + "]"), std::string::npos)
      << "CHANGELOG.md has no section for " << kVersion;
}

}  // namespace
}  // namespace flowsentry
