// RFC 5424 syslog messages and RFC 6587 octet-counting framing (TCP, and TLS per RFC 5425):
//   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
// Header fields are printable US-ASCII without spaces, cut to the RFC's lengths; an empty one
// is the NILVALUE "-". Structured data is always "-": the payload (CEF or JSON) carries it all.
#pragma once

#include <string>
#include <string_view>

#include "detect/alert.h"

namespace flowsentry::siem {

struct SyslogHeader {
  int facility = 16;  // local0
  int severity = 6;   // 0 emergency .. 7 debug
  double time = 0;    // seconds since the epoch
  std::string hostname;
  std::string app_name = "flowsentry";
  std::string procid;
  std::string msgid;  // e.g. the alert kind or "verdict"
};

// RFC 5424 severity for an alert: critical 2, warning 4, info 6.
int syslog_severity(detect::Severity s);

// The header field as RFC 5424 allows it: PRINTUSASCII (33..126), at most `max` characters,
// "-" when empty.
std::string syslog_field(std::string_view s, size_t max);

std::string rfc5424(const SyslogHeader& h, std::string_view msg);

// RFC 6587 octet counting: "LEN SP MSG".
std::string octet_counted(std::string_view msg);

// This host's name (gethostname), as the HOSTNAME field wants it.
std::string local_hostname();

}  // namespace flowsentry::siem
