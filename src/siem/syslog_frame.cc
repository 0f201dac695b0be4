#include "siem/syslog_frame.h"

#include <unistd.h>

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "siem/fields.h"

namespace flowsentry::siem {

int syslog_severity(detect::Severity s) {
  switch (s) {
    case detect::Severity::kInfo:
      return 6;
    case detect::Severity::kWarning:
      return 4;
    case detect::Severity::kCritical:
      return 2;
  }
  return 5;
}

std::string syslog_field(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 33 && u <= 126) ? c : '_';
  }
  return out.empty() ? "-" : out;
}

std::string rfc5424(const SyslogHeader& h, std::string_view msg) {
  const int pri = std::clamp(h.facility, 0, 23) * 8 + std::clamp(h.severity, 0, 7);
  return fmt::format("<{}>1 {} {} {} {} {} - {}", pri, iso8601_ms(h.time),
                     syslog_field(h.hostname, 255), syslog_field(h.app_name, 48),
                     syslog_field(h.procid, 128), syslog_field(h.msgid, 32), msg);
}

std::string octet_counted(std::string_view msg) {
  return fmt::format("{} {}", msg.size(), msg);
}

std::string local_hostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "-";
  return syslog_field(buf.data(), 255);
}

}  // namespace flowsentry::siem
