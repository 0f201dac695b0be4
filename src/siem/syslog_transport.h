// Syslog over UDP (RFC 5426: one message per datagram), TCP (RFC 6587 octet counting) or TLS
// (RFC 5425: octet counting inside TLS, OpenSSL, server certificate and name verified against
// `ca_file`, or the system store when empty). Connections are opened lazily and reopened after
// an error; records are complete RFC 5424 messages (syslog_frame.h).
#pragma once

#include <memory>
#include <string>

#include "siem/transport.h"

namespace flowsentry::siem {

enum class SyslogProtocol { kUdp, kTcp, kTls };

struct SyslogOptions {
  SyslogProtocol protocol = SyslogProtocol::kUdp;
  std::string host;
  int port = 514;
  std::string ca_file;    // TLS: trusted CA (PEM); empty = system default paths
  std::string cert_file;  // TLS: client certificate (PEM), optional
  std::string key_file;
  double timeout_s = 5;          // connect and each send
  size_t max_udp_bytes = 65000;  // a longer message is cut (UDP has no framing to split it)
};

std::unique_ptr<Transport> make_syslog_transport(SyslogOptions options);

}  // namespace flowsentry::siem
