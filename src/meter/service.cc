#include "meter/service.h"

#include <array>
#include <charconv>
#include <cstring>

namespace flowsentry::meter {
namespace {

constexpr uint32_t kInspectBytes = 8192;

constexpr std::array<std::string_view, 9> kHttpMethods{
    "GET ", "POST ", "HEAD ", "PUT ", "DELETE ", "OPTIONS ", "CONNECT ", "TRACE ", "PATCH "};

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    char a = s[i], b = prefix[i];
    if (a >= 'a' && a <= 'z') a = static_cast<char>(a - 32);
    if (a != b) return false;
  }
  return true;
}

bool is_http_request(std::string_view s) {
  for (auto m : kHttpMethods) {
    if (s.starts_with(m)) return true;
  }
  return false;
}

constexpr std::array<std::string_view, 12> kFtpCommands{"USER ", "PASS ", "SYST",  "PWD",
                                                        "CWD ",  "RETR ", "STOR ", "LIST",
                                                        "PASV",  "PORT ", "EPSV",  "TYPE "};

bool is_ftp_command(std::string_view s) {
  for (auto c : kFtpCommands) {
    if (starts_with_ci(s, c)) return true;
  }
  return false;
}

// Parses "h1,h2,h3,h4,p1,p2" at `s` (PORT argument, 227 reply).
std::optional<FtpDataEndpoint> parse_host_port(std::string_view s) {
  std::array<int, 6> v{};
  size_t i = 0;
  for (int k = 0; k < 6; ++k) {
    auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + s.size(), v[k]);
    if (ec != std::errc() || v[k] < 0 || v[k] > 255) return std::nullopt;
    i = static_cast<size_t>(ptr - s.data());
    if (k < 5) {
      if (i >= s.size() || s[i] != ',') return std::nullopt;
      ++i;
    }
  }
  FtpDataEndpoint e;
  for (int k = 0; k < 4; ++k) e.addr[k] = static_cast<uint8_t>(v[k]);
  e.port = static_cast<uint16_t>(v[4] * 256 + v[5]);
  return e;
}

}  // namespace

std::string_view service_by_port(uint8_t proto, uint16_t port) {
  if (proto == 6) {
    switch (port) {
      case 80:
      case 8080:
        return "http";
      case 21:
        return "ftp";
      case 20:
        return "ftp-data";
      case 22:
        return "ssh";
      case 25:
        return "smtp";
      case 53:
        return "dns";
      case 110:
        return "pop3";
      case 443:
        return "ssl";
      case 6667:
        return "irc";
      default:
        return {};
    }
  }
  if (proto == 17) {
    switch (port) {
      case 53:
        return "dns";
      case 67:
      case 68:
        return "dhcp";
      case 161:
      case 162:
        return "snmp";
      case 1812:
      case 1813:
      case 1645:
      case 1646:
        return "radius";
      default:
        return {};
    }
  }
  return {};
}

void ServiceTracker::detect(std::string_view d, bool from_src, uint8_t proto) {
  if (!detected_.empty() || d.empty()) return;
  if (proto == 6) {
    if (from_src && is_http_request(d)) {
      detected_ = "http";
    } else if (!from_src && d.starts_with("HTTP/1.")) {
      detected_ = "http";
    } else if (d.starts_with("SSH-")) {
      detected_ = "ssh";
    } else if (d.size() >= 3 && d[0] == '\x16' && d[1] == '\x03' && d[2] <= '\x04') {
      detected_ = "ssl";
    } else if (!from_src && d.starts_with("220")) {
      server_banner_220_ = true;
    } else if (!from_src && d.starts_with("+OK")) {
      server_plus_ok_ = true;
    } else if (from_src && server_banner_220_ &&
               (starts_with_ci(d, "EHLO") || starts_with_ci(d, "HELO"))) {
      detected_ = "smtp";
    } else if (from_src && server_banner_220_ &&
               (starts_with_ci(d, "USER ") || starts_with_ci(d, "AUTH ") ||
                starts_with_ci(d, "FEAT") || starts_with_ci(d, "SYST"))) {
      detected_ = "ftp";
    } else if (from_src && server_plus_ok_ &&
               (starts_with_ci(d, "USER ") || starts_with_ci(d, "CAPA") ||
                starts_with_ci(d, "APOP ") || starts_with_ci(d, "STLS"))) {
      detected_ = "pop3";
    } else if (from_src && (starts_with_ci(d, "NICK ") || starts_with_ci(d, "CAP LS"))) {
      detected_ = "irc";
    }
  } else if (proto == 17) {
    const auto* b = reinterpret_cast<const uint8_t*>(d.data());
    if (d.size() >= 240 && (b[0] == 1 || b[0] == 2) && b[236] == 0x63 && b[237] == 0x82 &&
        b[238] == 0x53 && b[239] == 0x63) {
      detected_ = "dhcp";
    }
  }
}

// Walks the HTTP messages that start in this segment (pipelined requests or responses one
// after another): each request counts toward trans_depth, each response adds its
// Content-Length to response_body_len. Bodies that continue in later segments are skipped
// by length only when they are in this segment; a later segment is recognised by its start.
void ServiceTracker::follow_http(std::string_view d, bool from_src) {
  size_t pos = 0;
  while (pos < d.size()) {
    std::string_view msg = d.substr(pos);
    const bool is_request = from_src && is_http_request(msg);
    const bool is_response = !from_src && msg.starts_with("HTTP/1.");
    if (!is_request && !is_response) return;
    if (is_request) {
      ++http_requests_;
      ++http_methods_;
    }
    const size_t end = msg.find("\r\n\r\n");
    std::string_view headers = msg.substr(0, end);
    int64_t length = 0;
    for (size_t at = headers.find('\n'); at != std::string_view::npos;
         at = headers.find('\n', at + 1)) {
      std::string_view line = headers.substr(at + 1);
      if (!starts_with_ci(line, "CONTENT-LENGTH:")) continue;
      line.remove_prefix(15);
      while (!line.empty() && line.front() == ' ') line.remove_prefix(1);
      auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), length);
      if (ec != std::errc() || length < 0) length = 0;
      break;
    }
    if (is_response) http_body_len_ += length;
    if (end == std::string_view::npos) return;
    pos += end + 4 + static_cast<size_t>(length);
  }
}

std::optional<FtpDataEndpoint> ServiceTracker::follow_ftp(std::string_view d, bool from_src,
                                                          const FtpDataEndpoint& src_addr,
                                                          const FtpDataEndpoint& dst_addr) {
  if (from_src) {
    if (is_ftp_command(d)) ++ftp_commands_;
    if (starts_with_ci(d, "USER ")) ftp_user_ = true;
    if (starts_with_ci(d, "PASS ")) ftp_pass_ = true;
    if (starts_with_ci(d, "PORT ")) return parse_host_port(d.substr(5));
    if (starts_with_ci(d, "EPRT ") && d.size() > 6) {
      // EPRT |proto|addr|port|: the client listens at its own address.
      std::string_view rest = d.substr(6);
      size_t a = rest.find(d[5]);
      size_t b = a == std::string_view::npos ? a : rest.find(d[5], a + 1);
      if (b == std::string_view::npos) return std::nullopt;
      size_t c = rest.find(d[5], b + 1);
      if (c == std::string_view::npos) return std::nullopt;
      int port = 0;
      auto [ptr, ec] = std::from_chars(rest.data() + b + 1, rest.data() + c, port);
      if (ec != std::errc() || port <= 0 || port > 65535) return std::nullopt;
      FtpDataEndpoint e = src_addr;
      e.port = static_cast<uint16_t>(port);
      return e;
    }
    return std::nullopt;
  }
  if (d.starts_with("230")) ftp_logged_in_ = true;
  if (d.starts_with("227")) {
    size_t open = d.find('(');
    if (open == std::string_view::npos) return std::nullopt;
    return parse_host_port(d.substr(open + 1));
  }
  if (d.starts_with("229")) {  // Entering Extended Passive Mode (|||port|)
    size_t open = d.find("(|||");
    if (open == std::string_view::npos) return std::nullopt;
    int port = 0;
    auto [ptr, ec] = std::from_chars(d.data() + open + 4, d.data() + d.size(), port);
    if (ec != std::errc() || port <= 0 || port > 65535) return std::nullopt;
    FtpDataEndpoint e = dst_addr;
    e.port = static_cast<uint16_t>(port);
    return e;
  }
  return std::nullopt;
}

std::optional<FtpDataEndpoint> ServiceTracker::add_payload(std::span<const uint8_t> payload,
                                                           bool from_src, uint8_t proto,
                                                           const FtpDataEndpoint& src_addr,
                                                           const FtpDataEndpoint& dst_addr) {
  if (payload.empty()) return std::nullopt;
  uint32_t& inspected = from_src ? inspected_src_ : inspected_dst_;
  std::string_view d(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (detected_ != "http" && detected_ != "ftp" && inspected >= kInspectBytes) return std::nullopt;
  inspected += static_cast<uint32_t>(payload.size());
  detect(d, from_src, proto);
  if (detected_ == "http") follow_http(d, from_src);
  if (detected_ == "ftp") return follow_ftp(d, from_src, src_addr, dst_addr);
  return std::nullopt;
}

std::string_view ServiceTracker::service(uint8_t proto, uint16_t sport, uint16_t dport) const {
  if (!detected_.empty()) return detected_;
  // Bro names a service only after seeing its payload: no payload, no port guess either.
  if (inspected_src_ == 0 && inspected_dst_ == 0) return "-";
  auto s = service_by_port(proto, dport);
  if (s.empty()) s = service_by_port(proto, sport);
  return s.empty() ? std::string_view("-") : s;
}

}  // namespace flowsentry::meter
