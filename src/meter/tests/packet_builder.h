// Builds packets byte by byte for the meter tests (and writes them as a pcap file for the
// Argus comparison). Checksums are left zero: neither the meter nor Argus checks them.
#pragma once

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "meter/decode.h"
#include "meter/packet.h"

namespace flowsentry::meter::testing {

struct Endpoint {
  std::string ip;  // IPv4 dotted or IPv6
  uint16_t port = 0;
};

struct TcpSpec {
  int flags = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t win = 65535;
  int wscale = -1;  // adds a window scale option when >= 0
  std::string payload;
};

inline void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}

inline bool is_v6(const std::string& ip) {
  return ip.find(':') != std::string::npos;
}

inline std::vector<uint8_t> addr_bytes(const std::string& ip) {
  std::vector<uint8_t> out(is_v6(ip) ? 16 : 4);
  inet_pton(is_v6(ip) ? AF_INET6 : AF_INET, ip.c_str(), out.data());
  return out;
}

// An IP packet (no link layer) carrying `l4` with protocol `proto`.
inline std::vector<uint8_t> ip_packet(const std::string& src, const std::string& dst, uint8_t proto,
                                      const std::vector<uint8_t>& l4, uint8_t ttl = 64,
                                      uint16_t ip_id = 1) {
  std::vector<uint8_t> b;
  auto s = addr_bytes(src), d = addr_bytes(dst);
  if (is_v6(src)) {
    put32(b, 0x60000000u);
    put16(b, static_cast<uint16_t>(l4.size()));
    b.push_back(proto);
    b.push_back(ttl);
  } else {
    b.push_back(0x45);
    b.push_back(0);
    put16(b, static_cast<uint16_t>(20 + l4.size()));
    put16(b, ip_id);
    put16(b, 0x4000);  // DF
    b.push_back(ttl);
    b.push_back(proto);
    put16(b, 0);
  }
  b.insert(b.end(), s.begin(), s.end());
  b.insert(b.end(), d.begin(), d.end());
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

inline std::vector<uint8_t> tcp_segment(uint16_t sport, uint16_t dport, const TcpSpec& t) {
  std::vector<uint8_t> b;
  put16(b, sport);
  put16(b, dport);
  put32(b, t.seq);
  put32(b, t.ack);
  const uint8_t hlen = t.wscale >= 0 ? 24 : 20;
  b.push_back(static_cast<uint8_t>((hlen / 4) << 4));
  b.push_back(static_cast<uint8_t>(t.flags));
  put16(b, t.win);
  put16(b, 0);
  put16(b, 0);
  if (t.wscale >= 0) {
    b.push_back(1);  // NOP
    b.push_back(3);
    b.push_back(3);
    b.push_back(static_cast<uint8_t>(t.wscale));
  }
  b.insert(b.end(), t.payload.begin(), t.payload.end());
  return b;
}

inline std::vector<uint8_t> udp_datagram(uint16_t sport, uint16_t dport, std::string_view payload) {
  std::vector<uint8_t> b;
  put16(b, sport);
  put16(b, dport);
  put16(b, static_cast<uint16_t>(8 + payload.size()));
  put16(b, 0);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

inline std::vector<uint8_t> icmp_message(uint8_t type, uint8_t code, uint16_t id, uint16_t seq,
                                         size_t data = 56) {
  std::vector<uint8_t> b{type, code, 0, 0};
  put16(b, id);
  put16(b, seq);
  b.resize(b.size() + data, 0xAB);
  return b;
}

// Ethernet frame around an IP packet, with optional 802.1Q tags.
inline std::vector<uint8_t> ethernet(const std::vector<uint8_t>& ip, bool v6,
                                     std::vector<uint16_t> vlans = {}) {
  std::vector<uint8_t> b = {0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1};
  for (uint16_t v : vlans) {
    put16(b, 0x8100);
    put16(b, v);
  }
  put16(b, v6 ? 0x86DD : 0x0800);
  b.insert(b.end(), ip.begin(), ip.end());
  return b;
}

inline std::vector<uint8_t> arp_frame(uint16_t op, std::array<uint8_t, 6> sha,
                                      const std::string& spa, std::array<uint8_t, 6> tha,
                                      const std::string& tpa) {
  std::vector<uint8_t> b = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  b.insert(b.end(), sha.begin(), sha.end());
  put16(b, 0x0806);
  put16(b, 1);
  put16(b, 0x0800);
  b.push_back(6);
  b.push_back(4);
  put16(b, op);
  b.insert(b.end(), sha.begin(), sha.end());
  auto s = addr_bytes(spa);
  b.insert(b.end(), s.begin(), s.end());
  b.insert(b.end(), tha.begin(), tha.end());
  auto t = addr_bytes(tpa);
  b.insert(b.end(), t.begin(), t.end());
  b.resize(std::max<size_t>(b.size(), 60), 0);  // Ethernet minimum frame without FCS
  return b;
}

// A packet owning its bytes; `packet()` views it for the meter.
struct Frame {
  int64_t ts_us = 0;
  std::vector<uint8_t> bytes;
  uint32_t wirelen = 0;  // 0: the captured length
  int linktype = kLinkEthernet;
  uint32_t caplen = 0;  // 0: everything captured
  Packet packet() const {
    Packet p;
    p.ts_us = ts_us;
    p.linktype = linktype;
    size_t n = caplen ? std::min<size_t>(caplen, bytes.size()) : bytes.size();
    p.bytes = {bytes.data(), n};
    p.wirelen = wirelen ? wirelen : static_cast<uint32_t>(bytes.size());
    return p;
  }
};

// A TCP conversation between a client and a server over Ethernet/IPv4 (or IPv6).
class TcpConversation {
 public:
  TcpConversation(Endpoint client, Endpoint server, uint8_t client_ttl = 64,
                  uint8_t server_ttl = 64)
      : c_(std::move(client)), s_(std::move(server)), cttl_(client_ttl), sttl_(server_ttl) {}
  Frame from_client(int64_t ts, TcpSpec t) { return make(ts, true, t); }
  Frame from_server(int64_t ts, TcpSpec t) { return make(ts, false, t); }

 private:
  Frame make(int64_t ts, bool client, const TcpSpec& t) {
    const Endpoint& a = client ? c_ : s_;
    const Endpoint& b = client ? s_ : c_;
    uint16_t& id = client ? cid_ : sid_;
    auto ip = ip_packet(a.ip, b.ip, 6, tcp_segment(a.port, b.port, t), client ? cttl_ : sttl_, id);
    id = static_cast<uint16_t>(id + 1);
    return Frame{ts, ethernet(ip, is_v6(a.ip))};
  }
  Endpoint c_, s_;
  uint8_t cttl_, sttl_;
  uint16_t cid_ = 100, sid_ = 5000;
};

// Writes frames as a classic pcap file (µs resolution), for Argus.
inline bool write_pcap(const std::string& path, const std::vector<Frame>& frames,
                       int linktype = kLinkEthernet) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return false;
  auto w32 = [&](uint32_t v) { std::fwrite(&v, 4, 1, f); };
  auto w16 = [&](uint16_t v) { std::fwrite(&v, 2, 1, f); };
  w32(0xa1b2c3d4);
  w16(2);
  w16(4);
  w32(0);
  w32(0);
  w32(65535);
  w32(static_cast<uint32_t>(linktype));
  for (const auto& fr : frames) {
    const uint32_t cap = fr.caplen ? std::min<uint32_t>(fr.caplen, fr.bytes.size())
                                   : static_cast<uint32_t>(fr.bytes.size());
    w32(static_cast<uint32_t>(fr.ts_us / 1000000));
    w32(static_cast<uint32_t>(fr.ts_us % 1000000));
    w32(cap);
    w32(fr.wirelen ? fr.wirelen : static_cast<uint32_t>(fr.bytes.size()));
    std::fwrite(fr.bytes.data(), 1, cap, f);
  }
  return std::fclose(f) == 0;
}

}  // namespace flowsentry::meter::testing
