// Connection strings carry passwords (postgresql://user:secret@host/db?password=...): anything
// printed or logged shows them masked.
#pragma once

#include <regex>
#include <string>

namespace flowsentry {

inline std::string redact_url(const std::string& url) {
  static const std::regex kUserInfo(R"((://[^:/@]*):[^@]*@)");
  static const std::regex kParam(R"(((?:^|[?&\s])password\s*=\s*)[^&\s]*)", std::regex::icase);
  return std::regex_replace(std::regex_replace(url, kUserInfo, "$1:***@"), kParam, "$1***");
}

}  // namespace flowsentry
