#include "siem/syslog_transport.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "siem/syslog_frame.h"

namespace flowsentry::siem {
namespace {

std::string ssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

bool is_ip_address(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

class SyslogTransport : public Transport {
 public:
  explicit SyslogTransport(SyslogOptions o) : opt_(std::move(o)) {}
  ~SyslogTransport() override { disconnect(); }

  Delivery deliver(const std::string& record) override {
    if (fd_ < 0) {
      if (auto d = connect(); !d.ok) return d;
    }
    if (opt_.protocol == SyslogProtocol::kUdp) {
      const size_t n = std::min(record.size(), opt_.max_udp_bytes);
      if (::send(fd_, record.data(), n, MSG_NOSIGNAL) < 0) return fail(std::strerror(errno));
      return {true, false, {}};
    }
    return send_all(octet_counted(record));
  }

 private:
  Delivery fail(const std::string& why) {
    disconnect();
    return {false, true, fmt::format("syslog {}:{}: {}", opt_.host, opt_.port, why)};
  }

  void disconnect() {
    if (ssl_) {
      SSL_shutdown(ssl_);
      SSL_free(ssl_);
      ssl_ = nullptr;
    }
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  Delivery connect() {
    addrinfo hints{};
    hints.ai_socktype = opt_.protocol == SyslogProtocol::kUdp ? SOCK_DGRAM : SOCK_STREAM;
    addrinfo* res = nullptr;
    const auto port = std::to_string(opt_.port);
    if (int rc = getaddrinfo(opt_.host.c_str(), port.c_str(), &hints, &res); rc != 0) {
      return fail(gai_strerror(rc));
    }
    std::string error = "no address";
    for (auto* a = res; a && fd_ < 0; a = a->ai_next) {
      fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
      if (fd_ < 0) continue;
      set_timeouts();
      if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
        error = std::strerror(errno);
        ::close(fd_);
        fd_ = -1;
      }
    }
    freeaddrinfo(res);
    if (fd_ < 0) return fail(error);
    if (opt_.protocol == SyslogProtocol::kTls) return start_tls();
    return {true, false, {}};
  }

  void set_timeouts() {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(opt_.timeout_s);
    tv.tv_usec = static_cast<suseconds_t>((opt_.timeout_s - static_cast<double>(tv.tv_sec)) * 1e6);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  }

  Delivery start_tls() {
    if (!ctx_) {
      if (auto d = make_context(); !d.ok) return d;
    }
    ssl_ = SSL_new(ctx_.get());
    if (!ssl_) return fail(ssl_error());
    SSL_set_fd(ssl_, fd_);
    // The certificate must name the host: its IP address, or its DNS name (sent as SNI too).
    if (is_ip_address(opt_.host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), opt_.host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, opt_.host.c_str());
      SSL_set1_host(ssl_, opt_.host.c_str());
    }
    if (SSL_connect(ssl_) != 1) return fail("TLS handshake: " + ssl_error());
    return {true, false, {}};
  }

  Delivery make_context() {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) return fail(ssl_error());
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    const bool ca_ok = opt_.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_.get()) == 1
                                            : SSL_CTX_load_verify_locations(
                                                  ctx_.get(), opt_.ca_file.c_str(), nullptr) == 1;
    if (!ca_ok) return not_retryable("CA file " + opt_.ca_file + ": " + ssl_error());
    if (!opt_.cert_file.empty() &&
        (SSL_CTX_use_certificate_chain_file(ctx_.get(), opt_.cert_file.c_str()) != 1 ||
         SSL_CTX_use_PrivateKey_file(ctx_.get(), opt_.key_file.c_str(), SSL_FILETYPE_PEM) != 1)) {
      return not_retryable("client certificate: " + ssl_error());
    }
    return {true, false, {}};
  }

  Delivery not_retryable(const std::string& why) {
    ctx_.reset();
    auto d = fail(why);
    d.retryable = false;
    return d;
  }

  Delivery send_all(const std::string& frame) {
    size_t off = 0;
    while (off < frame.size()) {
      ssize_t n = 0;
      if (ssl_) {
        n = SSL_write(ssl_, frame.data() + off, static_cast<int>(frame.size() - off));
        if (n <= 0) return fail("TLS write: " + ssl_error());
      } else {
        n = ::send(fd_, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
        if (n < 0) return fail(std::strerror(errno));
      }
      off += static_cast<size_t>(n);
    }
    return {true, false, {}};
  }

  struct CtxFree {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
  };

  SyslogOptions opt_;
  int fd_ = -1;
  std::unique_ptr<SSL_CTX, CtxFree> ctx_;
  SSL* ssl_ = nullptr;
};

}  // namespace

std::unique_ptr<Transport> make_syslog_transport(SyslogOptions options) {
  return std::make_unique<SyslogTransport>(std::move(options));
}

}  // namespace flowsentry::siem
