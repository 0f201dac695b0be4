// Application detection from payload (Bro 2.4's names for UNSW-NB15's `service`), with the
// server port only as a fallback, and the HTTP/FTP counters of the data set.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace flowsentry::meter {

// The service a well-known server port implies (Bro 2.4 names), or "" when none. Used by
// the meter after payload detection and by the flow collector, which sees no payload.
std::string_view service_by_port(uint8_t proto, uint16_t port);

// Where an FTP control connection told the peers to open a data connection.
struct FtpDataEndpoint {
  std::array<uint8_t, 16> addr{};
  bool ipv6 = false;
  uint16_t port = 0;
};

// Follows one flow's payload. Only the first few KB of each direction are inspected.
class ServiceTracker {
 public:
  // `from_src`: the payload travels from the flow's source (client) to its destination.
  // Returns an announced FTP data endpoint (PORT, EPRT, 227, 229 replies) when it sees one.
  std::optional<FtpDataEndpoint> add_payload(std::span<const uint8_t> payload, bool from_src,
                                             uint8_t proto, const FtpDataEndpoint& src_addr,
                                             const FtpDataEndpoint& dst_addr);

  // Bro's service name, falling back on well-known ports; "-" when nothing matches.
  std::string_view service(uint8_t proto, uint16_t sport, uint16_t dport) const;
  void mark_ftp_data() { detected_ = "ftp-data"; }

  int trans_depth() const { return http_requests_; }
  int64_t response_body_len() const { return http_body_len_; }
  int http_methods() const { return http_methods_; }
  int is_ftp_login() const { return ftp_user_ && ftp_pass_ && ftp_logged_in_ ? 1 : 0; }
  int ftp_commands() const { return ftp_commands_; }

 private:
  void detect(std::string_view data, bool from_src, uint8_t proto);
  void follow_http(std::string_view data, bool from_src);
  std::optional<FtpDataEndpoint> follow_ftp(std::string_view data, bool from_src,
                                            const FtpDataEndpoint& src_addr,
                                            const FtpDataEndpoint& dst_addr);

  std::string_view detected_;
  bool server_banner_220_ = false;
  bool server_plus_ok_ = false;
  uint32_t inspected_src_ = 0;
  uint32_t inspected_dst_ = 0;
  int http_requests_ = 0;
  int http_methods_ = 0;
  int64_t http_body_len_ = 0;
  bool ftp_user_ = false;
  bool ftp_pass_ = false;
  bool ftp_logged_in_ = false;
  int ftp_commands_ = 0;
};

}  // namespace flowsentry::meter
