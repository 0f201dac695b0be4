// Crafted traffic, one function per case. The unit tests assert the meter's features on
// them; the Argus comparison writes them as pcaps and runs argus on the same packets.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "meter/tests/packet_builder.h"

namespace flowsentry::meter::testing {

inline constexpr int64_t kT0 = 1'700'000'000'000'000;  // 2023-11-14, µs

// Handshake, one request and one response, FIN close from the client.
inline std::vector<Frame> tcp_handshake_close() {
  TcpConversation c({"10.0.0.1", 40000}, {"10.0.0.2", 80}, 64, 63);
  std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string resp = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  uint32_t cs = 1000, ss = 5000;
  return {
      c.from_client(kT0, {kTcpSyn, cs, 0, 64240, 7}),
      c.from_server(kT0 + 100, {kTcpSyn | kTcpAck, ss, cs + 1, 65160, 7}),
      c.from_client(kT0 + 300, {kTcpAck, cs + 1, ss + 1, 502}),
      c.from_client(kT0 + 1300, {kTcpAck | kTcpPush, cs + 1, ss + 1, 502, -1, req}),
      c.from_server(kT0 + 1500, {kTcpAck, ss + 1, cs + 1 + uint32_t(req.size()), 509}),
      c.from_server(kT0 + 2500,
                    {kTcpAck | kTcpPush, ss + 1, cs + 1 + uint32_t(req.size()), 509, -1, resp}),
      c.from_client(kT0 + 2700,
                    {kTcpAck, cs + 1 + uint32_t(req.size()), ss + 1 + uint32_t(resp.size()), 501}),
      c.from_client(kT0 + 4700, {kTcpFin | kTcpAck, cs + 1 + uint32_t(req.size()),
                                 ss + 1 + uint32_t(resp.size()), 501}),
      c.from_server(kT0 + 4900, {kTcpFin | kTcpAck, ss + 1 + uint32_t(resp.size()),
                                 cs + 2 + uint32_t(req.size()), 509}),
      c.from_client(kT0 + 5000,
                    {kTcpAck, cs + 2 + uint32_t(req.size()), ss + 2 + uint32_t(resp.size()), 501}),
  };
}

// A SYN answered by RST/ACK (closed port).
inline std::vector<Frame> tcp_rejected() {
  TcpConversation c({"10.0.0.1", 40001}, {"10.0.0.2", 81});
  return {
      c.from_client(kT0, {kTcpSyn, 7000, 0, 64240}),
      c.from_server(kT0 + 50, {kTcpRst | kTcpAck, 0, 7001, 0}),
  };
}

// Three SYNs, no answer (a retransmitted connection attempt).
inline std::vector<Frame> tcp_syn_retransmitted() {
  TcpConversation c({"10.0.0.1", 40002}, {"10.0.0.3", 443});
  return {
      c.from_client(kT0, {kTcpSyn, 9000, 0, 64240}),
      c.from_client(kT0 + 1'000'000, {kTcpSyn, 9000, 0, 64240}),
      c.from_client(kT0 + 3'000'000, {kTcpSyn, 9000, 0, 64240}),
  };
}

// Established connection where the client sends one segment twice.
inline std::vector<Frame> tcp_data_retransmitted() {
  TcpConversation c({"10.0.0.1", 40003}, {"10.0.0.2", 8080});
  std::string data(100, 'x');
  uint32_t cs = 100, ss = 200;
  return {
      c.from_client(kT0, {kTcpSyn, cs, 0, 64240}),
      c.from_server(kT0 + 100, {kTcpSyn | kTcpAck, ss, cs + 1, 65160}),
      c.from_client(kT0 + 200, {kTcpAck, cs + 1, ss + 1, 64240}),
      c.from_client(kT0 + 300, {kTcpAck | kTcpPush, cs + 1, ss + 1, 64240, -1, data}),
      c.from_client(kT0 + 200'300, {kTcpAck | kTcpPush, cs + 1, ss + 1, 64240, -1, data}),
      c.from_server(kT0 + 200'400, {kTcpAck, ss + 1, cs + 101, 65160}),
      c.from_client(kT0 + 300'000, {kTcpFin | kTcpAck, cs + 101, ss + 1, 64240}),
      c.from_server(kT0 + 300'100, {kTcpFin | kTcpAck, ss + 1, cs + 102, 65160}),
      c.from_client(kT0 + 300'200, {kTcpAck, cs + 102, ss + 2, 64240}),
  };
}

// Ping: four echo requests and replies, one second apart.
inline std::vector<Frame> icmp_echo() {
  std::vector<Frame> out;
  for (int i = 0; i < 4; ++i) {
    int64_t t = kT0 + i * 1'000'000 + (i == 2 ? 3000 : 0);
    out.push_back({t, ethernet(ip_packet("10.0.0.1", "10.0.0.9", 1,
                                         icmp_message(8, 0, 77, uint16_t(i + 1)), 64),
                               false)});
    out.push_back({t + 250, ethernet(ip_packet("10.0.0.9", "10.0.0.1", 1,
                                               icmp_message(0, 0, 77, uint16_t(i + 1)), 254),
                                     false)});
  }
  return out;
}

// A router's port-unreachable answer to a UDP probe.
inline std::vector<Frame> icmp_unreachable() {
  auto probe = ip_packet("10.0.0.1", "10.0.0.7", 17, udp_datagram(50000, 33434, "probe"));
  std::vector<uint8_t> icmp{3, 3, 0, 0, 0, 0, 0, 0};
  icmp.insert(icmp.end(), probe.begin(), probe.begin() + 28);
  return {
      {kT0, ethernet(probe, false)},
      {kT0 + 400, ethernet(ip_packet("10.0.0.7", "10.0.0.1", 1, icmp, 255), false)},
  };
}

// UDP: a one-way stream of three datagrams, and a DNS-like query with its answer.
inline std::vector<Frame> udp_one_way() {
  std::vector<Frame> out;
  for (int i = 0; i < 3; ++i) {
    out.push_back(
        {kT0 + i * 20'000, ethernet(ip_packet("10.0.0.1", "10.0.0.5", 17,
                                              udp_datagram(5004, 5004, std::string(160, 'r')), 31),
                                    false)});
  }
  return out;
}

inline std::vector<Frame> udp_two_way() {
  std::string q = std::string("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12) +
                  std::string(
                      "\x07"
                      "example"
                      "\x03"
                      "com"
                      "\x00\x00\x01\x00\x01",
                      17);
  std::string a = q;
  a[2] = '\x81';
  a[3] = '\x80';
  a += std::string(16, '\0');
  return {
      {kT0,
       ethernet(ip_packet("10.0.0.1", "10.0.0.53", 17, udp_datagram(53001, 53, q), 64), false)},
      {kT0 + 800,
       ethernet(ip_packet("10.0.0.53", "10.0.0.1", 17, udp_datagram(53, 53001, a), 60), false)},
  };
}

// ARP request and reply, and a gratuitous ARP.
inline std::vector<Frame> arp_exchange() {
  std::array<uint8_t, 6> a{0x02, 0, 0, 0, 0, 1}, b{0x02, 0, 0, 0, 0, 2}, z{};
  return {
      {kT0, arp_frame(1, a, "10.0.0.1", z, "10.0.0.2")},
      {kT0 + 30, arp_frame(2, b, "10.0.0.2", a, "10.0.0.1")},
      {kT0 + 1'000'000, arp_frame(1, b, "10.0.0.2", z, "10.0.0.2")},
  };
}

// UDP inside 802.1Q and QinQ tags.
inline std::vector<Frame> vlan_udp() {
  auto ip = ip_packet("10.1.0.1", "10.1.0.2", 17, udp_datagram(1234, 5678, "hello"));
  return {
      {kT0, ethernet(ip, false, {100})},
      {kT0 + 1000, ethernet(ip_packet("10.1.0.2", "10.1.0.1", 17, udp_datagram(5678, 1234, "hi")),
                            false, {100, 200})},
  };
}

// TCP over IPv6 with a hop-by-hop header on the SYN.
inline std::vector<Frame> ipv6_tcp() {
  TcpConversation c({"2001:db8::1", 50000}, {"2001:db8::2", 22});
  return {
      c.from_client(kT0, {kTcpSyn, 1, 0, 64800}),
      c.from_server(kT0 + 80, {kTcpSyn | kTcpAck, 2, 2, 64260}),
      c.from_client(kT0 + 150, {kTcpAck, 2, 3, 64800}),
      c.from_server(kT0 + 5000, {kTcpAck | kTcpPush, 3, 2, 64260, -1, "SSH-2.0-OpenSSH_9.2\r\n"}),
      c.from_client(kT0 + 6000, {kTcpRst | kTcpAck, 2, 24, 0}),
  };
}

// A UDP stream of one packet per second for 150 s: Argus -S 60 splits it in three records.
inline std::vector<Frame> long_udp_flow() {
  std::vector<Frame> out;
  for (int i = 0; i <= 150; ++i) {
    out.push_back(
        {kT0 + int64_t(i) * 1'000'000,
         ethernet(ip_packet("10.0.0.1", "10.0.0.8", 17, udp_datagram(6000, 7000, "tick"), 64),
                  false)});
  }
  return out;
}

// All scenarios by name (pcap file names in the Argus comparison).
inline std::map<std::string, std::vector<Frame>> all_scenarios() {
  return {
      {"tcp_handshake_close", tcp_handshake_close()},
      {"tcp_rejected", tcp_rejected()},
      {"tcp_syn_retransmitted", tcp_syn_retransmitted()},
      {"tcp_data_retransmitted", tcp_data_retransmitted()},
      {"icmp_echo", icmp_echo()},
      {"icmp_unreachable", icmp_unreachable()},
      {"udp_one_way", udp_one_way()},
      {"udp_two_way", udp_two_way()},
      {"arp_exchange", arp_exchange()},
      {"vlan_udp", vlan_udp()},
      {"ipv6_tcp", ipv6_tcp()},
      {"long_udp_flow", long_udp_flow()},
  };
}

}  // namespace flowsentry::meter::testing
