#include "collect/udp_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>

namespace flowsentry::collect {
namespace {

constexpr size_t kBatch = 32;
constexpr size_t kMaxDatagram = 65536;

}  // namespace

Result<Endpoint> parse_endpoint(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == text.size()) {
    return make_error(ErrorCode::kInvalidArgument, "expected HOST:PORT (e.g. 0.0.0.0:4739)",
                      std::string(text));
  }
  Endpoint e;
  e.host = std::string(text.substr(0, colon));
  if (e.host.size() >= 2 && e.host.front() == '[' && e.host.back() == ']') {
    e.host = e.host.substr(1, e.host.size() - 2);
  }
  auto port = text.substr(colon + 1);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
  if (ec != std::errc() || p != port.data() + port.size() || v > 65535) {
    return make_error(ErrorCode::kInvalidArgument, "the port must be a number 0..65535",
                      std::string(text));
  }
  e.port = static_cast<uint16_t>(v);
  return e;
}

Result<std::unique_ptr<UdpReceiver>> UdpReceiver::bind(const Endpoint& at, int buffer_mb) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const bool v6 = at.host.find(':') != std::string::npos;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(at.port);
    if (inet_pton(AF_INET6, at.host.c_str(), &a->sin6_addr) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "not an IPv6 address", at.host);
    }
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(at.port);
    if (inet_pton(AF_INET, at.host.c_str(), &a->sin_addr) != 1) {
      return make_error(ErrorCode::kInvalidArgument, "not an IPv4 address", at.host);
    }
    len = sizeof(sockaddr_in);
  }
  std::unique_ptr<UdpReceiver> r(new UdpReceiver);
  r->fd_ = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r->fd_ < 0) return make_error(ErrorCode::kIo, std::strerror(errno), "socket");
  const int want = buffer_mb << 20;
  // FORCE passes net.core.rmem_max when we may (root); otherwise the kernel caps the request.
  if (setsockopt(r->fd_, SOL_SOCKET, SO_RCVBUFFORCE, &want, sizeof(want)) != 0) {
    setsockopt(r->fd_, SOL_SOCKET, SO_RCVBUF, &want, sizeof(want));
  }
  socklen_t optlen = sizeof(r->buffer_bytes_);
  getsockopt(r->fd_, SOL_SOCKET, SO_RCVBUF, &r->buffer_bytes_, &optlen);
  if (::bind(r->fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    return make_error(ErrorCode::kIo,
                      std::string("cannot listen: ") + std::strerror(errno) +
                          " (is another collector on this port?)",
                      at.host + ":" + std::to_string(at.port));
  }
  sockaddr_storage bound{};
  socklen_t blen = sizeof(bound);
  getsockname(r->fd_, reinterpret_cast<sockaddr*>(&bound), &blen);
  r->port_ = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                      : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  r->buffers_.resize(kBatch * kMaxDatagram);
  return r;
}

UdpReceiver::~UdpReceiver() {
  if (fd_ >= 0) close(fd_);
}

size_t UdpReceiver::receive(std::chrono::milliseconds wait, const Handler& handle) {
  pollfd pfd{fd_, POLLIN, 0};
  if (poll(&pfd, 1, static_cast<int>(wait.count())) <= 0) return 0;
  std::array<mmsghdr, kBatch> msgs{};
  std::array<iovec, kBatch> iov{};
  std::array<sockaddr_storage, kBatch> from{};
  for (size_t i = 0; i < kBatch; ++i) {
    iov[i] = {buffers_.data() + i * kMaxDatagram, kMaxDatagram};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &from[i];
    msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
  }
  const int n = recvmmsg(fd_, msgs.data(), kBatch, MSG_DONTWAIT, nullptr);
  if (n <= 0) return 0;
  for (int i = 0; i < n; ++i) {
    std::array<uint8_t, 16> exporter{};
    uint16_t port = 0;
    if (from[i].ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<sockaddr_in6*>(&from[i]);
      std::memcpy(exporter.data(), &a->sin6_addr, 16);
      port = ntohs(a->sin6_port);
    } else {
      const auto* a = reinterpret_cast<sockaddr_in*>(&from[i]);
      std::memcpy(exporter.data(), &a->sin_addr, 4);
      port = ntohs(a->sin_port);
    }
    handle(exporter, {buffers_.data() + i * kMaxDatagram, msgs[i].msg_len}, port);
  }
  return static_cast<size_t>(n);
}

}  // namespace flowsentry::collect
