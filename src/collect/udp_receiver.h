// UdpReceiver: the collector's socket. Binds HOST:PORT (IPv4, or [IPv6]), asks for a large
// receive buffer (exporters send in bursts; the kernel drops what does not fit), and reads
// datagrams in batches with recvmmsg.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace flowsentry::collect {

struct Endpoint {
  std::string host;
  uint16_t port = 0;
};
// "0.0.0.0:4739", "127.0.0.1:2055", "[::]:4739"; port 0 picks a free one.
Result<Endpoint> parse_endpoint(std::string_view text);

class UdpReceiver {
 public:
  using Handler = std::function<void(const std::array<uint8_t, 16>& exporter,
                                     std::span<const uint8_t> datagram, uint16_t port)>;

  static Result<std::unique_ptr<UdpReceiver>> bind(const Endpoint& at, int buffer_mb = 32);
  ~UdpReceiver();
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;

  // Waits up to `wait` for the first datagram, then hands every queued one (up to a batch) to
  // `handle`. Returns how many it handed over.
  size_t receive(std::chrono::milliseconds wait, const Handler& handle);

  uint16_t port() const { return port_; }
  int buffer_bytes() const { return buffer_bytes_; }

 private:
  UdpReceiver() = default;

  int fd_ = -1;
  uint16_t port_ = 0;
  int buffer_bytes_ = 0;
  std::vector<uint8_t> buffers_;
};

}  // namespace flowsentry::collect
