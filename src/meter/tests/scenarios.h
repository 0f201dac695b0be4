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

// A scan's ICMP errors: port unreachables for three closed UDP ports (two for the first) and
// host unreachables from a router for SYNs to two absent hosts. Argus keys each error by what
// it quotes, so these are one ICMP flow per port and one per host.
inline std::vector<Frame> icmp_unreachable_scan() {
  std::vector<Frame> out;
  int64_t t = kT0;
  auto unreachable = [](const std::string& from, uint8_t code, const std::vector<uint8_t>& probe) {
    std::vector<uint8_t> icmp{3, code, 0, 0, 0, 0, 0, 0};
    icmp.insert(icmp.end(), probe.begin(), probe.begin() + 28);
    return ethernet(ip_packet(from, "10.0.0.1", 1, icmp, 64), false);
  };
  for (uint16_t port : {161, 161, 137, 69}) {
    auto probe = ip_packet("10.0.0.1", "10.0.0.7", 17, udp_datagram(50000, port, ""));
    out.push_back({t, ethernet(probe, false)});
    out.push_back({t + 100, unreachable("10.0.0.7", 3, probe)});
    t += 1000;
  }
  for (const char* host : {"10.0.9.11", "10.0.9.12"}) {
    auto syn = ip_packet("10.0.0.1", host, 6, tcp_segment(40000, 22, {.flags = kTcpSyn, .seq = 7}));
    out.push_back({t, ethernet(syn, false)});
    out.push_back({t + 3000, unreachable("10.0.0.254", 1, syn)});
    t += 1000;
  }
  return out;
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

// A connection between two ports of one address (as on ::1 or 127.0.0.1 to itself).
inline std::vector<Frame> same_host_tcp() {
  TcpConversation c({"10.0.0.1", 40010}, {"10.0.0.1", 8000});
  return {
      c.from_client(kT0, {kTcpSyn, 10, 0, 64240}),
      c.from_server(kT0 + 40, {kTcpSyn | kTcpAck, 20, 11, 65160}),
      c.from_client(kT0 + 90, {kTcpAck, 11, 21, 64240}),
      c.from_client(kT0 + 500, {kTcpFin | kTcpAck, 11, 21, 64240}),
      c.from_server(kT0 + 600, {kTcpFin | kTcpAck, 21, 12, 65160}),
      c.from_client(kT0 + 700, {kTcpAck, 12, 22, 64240}),
  };
}

// Window scaling on both SYNs, then a segment that arrives out of order (the later one
// first) and a zero-window advertisement.
inline std::vector<Frame> tcp_window_scaling_out_of_order() {
  TcpConversation c({"10.0.0.1", 40020}, {"10.0.0.2", 9000});
  std::string a(500, 'a'), b(500, 'b');
  uint32_t cs = 50000, ss = 90000;
  return {
      c.from_client(kT0, {kTcpSyn, cs, 0, 64240, 7}),
      c.from_server(kT0 + 100, {kTcpSyn | kTcpAck, ss, cs + 1, 65160, 9}),
      c.from_client(kT0 + 200, {kTcpAck, cs + 1, ss + 1, 502}),
      c.from_client(kT0 + 1000, {kTcpAck | kTcpPush, cs + 501, ss + 1, 502, -1, b}),
      c.from_client(kT0 + 1100, {kTcpAck, cs + 1, ss + 1, 502, -1, a}),
      c.from_server(kT0 + 1200, {kTcpAck, ss + 1, cs + 1001, 0}),
      c.from_server(kT0 + 9200, {kTcpAck, ss + 1, cs + 1001, 120}),
      c.from_client(kT0 + 9300, {kTcpRst | kTcpAck, cs + 1001, ss + 1, 0}),
  };
}

// FTP: login, an active-mode (PORT) listing and a passive-mode (PASV) download, with the
// two data connections they announce.
inline std::vector<Frame> ftp_port_and_pasv() {
  TcpConversation ctl({"10.0.0.1", 40030}, {"10.0.0.21", 21});
  uint32_t cs = 1, ss = 1000;
  int64_t t = kT0;
  std::vector<Frame> out;
  auto server = [&](std::string line) {
    out.push_back(ctl.from_server(t += 1000, {kTcpAck | kTcpPush, ss, cs, 500, -1, line}));
    ss += static_cast<uint32_t>(line.size());
  };
  auto client = [&](std::string line) {
    out.push_back(ctl.from_client(t += 1000, {kTcpAck | kTcpPush, cs, ss, 500, -1, line}));
    cs += static_cast<uint32_t>(line.size());
  };
  out.push_back(ctl.from_client(t, {kTcpSyn, cs - 1, 0, 64240}));
  out.push_back(ctl.from_server(t += 100, {kTcpSyn | kTcpAck, ss - 1, cs, 65160}));
  out.push_back(ctl.from_client(t += 100, {kTcpAck, cs, ss, 500}));
  server("220 ProFTPD Server ready\r\n");
  client("USER alice\r\n");
  server("331 Password required\r\n");
  client("PASS secret\r\n");
  server("230 User alice logged in\r\n");
  client("PORT 10,0,0,1,156,64\r\n");  // port 40000
  server("200 PORT command successful\r\n");
  client("LIST\r\n");
  TcpConversation active({"10.0.0.21", 20}, {"10.0.0.1", 40000});
  out.push_back(active.from_client(t += 1000, {kTcpSyn, 7, 0, 64240}));
  out.push_back(active.from_server(t += 100, {kTcpSyn | kTcpAck, 70, 8, 65160}));
  out.push_back(active.from_client(t += 100, {kTcpAck | kTcpPush, 8, 71, 500, -1, "file.txt\r\n"}));
  out.push_back(active.from_client(t += 100, {kTcpFin | kTcpAck, 18, 71, 500}));
  out.push_back(active.from_server(t += 100, {kTcpFin | kTcpAck, 71, 19, 500}));
  out.push_back(active.from_client(t += 100, {kTcpAck, 19, 72, 500}));
  server("226 Transfer complete\r\n");
  client("PASV\r\n");
  server("227 Entering Passive Mode (10,0,0,21,195,80).\r\n");  // port 50000
  client("RETR file.txt\r\n");
  TcpConversation passive({"10.0.0.1", 40031}, {"10.0.0.21", 50000});
  out.push_back(passive.from_client(t += 1000, {kTcpSyn, 300, 0, 64240}));
  out.push_back(passive.from_server(t += 100, {kTcpSyn | kTcpAck, 400, 301, 65160}));
  out.push_back(passive.from_client(t += 100, {kTcpAck, 301, 401, 500}));
  out.push_back(passive.from_server(t += 100, {kTcpAck | kTcpPush, 401, 301, 500, -1, "data"}));
  out.push_back(passive.from_server(t += 100, {kTcpFin | kTcpAck, 405, 301, 500}));
  out.push_back(passive.from_client(t += 100, {kTcpFin | kTcpAck, 301, 406, 500}));
  out.push_back(passive.from_server(t += 100, {kTcpAck, 406, 302, 500}));
  server("226 Transfer complete\r\n");
  client("QUIT\r\n");
  server("221 Goodbye\r\n");
  out.push_back(ctl.from_client(t += 1000, {kTcpFin | kTcpAck, cs, ss, 500}));
  out.push_back(ctl.from_server(t += 100, {kTcpFin | kTcpAck, ss, cs + 1, 500}));
  out.push_back(ctl.from_client(t += 100, {kTcpAck, cs + 1, ss + 1, 500}));
  return out;
}

// Three pipelined HTTP requests in one segment, answered in one segment each.
inline std::vector<Frame> http_pipelining() {
  TcpConversation c({"10.0.0.1", 40040}, {"10.0.0.2", 80});
  std::string reqs =
      "GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n";
  std::string r1 = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\naaa";
  std::string r2 = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nbbbbbbbbbb";
  std::string r3 = "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
  uint32_t cs = 1, ss = 1;
  std::vector<Frame> out;
  int64_t t = kT0;
  out.push_back(c.from_client(t, {kTcpSyn, cs - 1, 0, 64240}));
  out.push_back(c.from_server(t += 100, {kTcpSyn | kTcpAck, ss - 1, cs, 65160}));
  out.push_back(c.from_client(t += 100, {kTcpAck, cs, ss, 500}));
  out.push_back(c.from_client(t += 100, {kTcpAck | kTcpPush, cs, ss, 500, -1, reqs}));
  cs += static_cast<uint32_t>(reqs.size());
  for (const auto& r : {r1, r2, r3}) {
    out.push_back(c.from_server(t += 300, {kTcpAck | kTcpPush, ss, cs, 500, -1, r}));
    ss += static_cast<uint32_t>(r.size());
  }
  out.push_back(c.from_client(t += 100, {kTcpFin | kTcpAck, cs, ss, 500}));
  out.push_back(c.from_server(t += 100, {kTcpFin | kTcpAck, ss, cs + 1, 500}));
  out.push_back(c.from_client(t += 100, {kTcpAck, cs + 1, ss + 1, 500}));
  return out;
}

// The handshake conversation captured with a 64-byte snaplen: headers are cut, lengths stay.
inline std::vector<Frame> tcp_snaplen_64() {
  auto frames = tcp_handshake_close();
  for (auto& f : frames) f.caplen = 64;
  for (auto& f : frames) f.ts_us += 10'000'000;
  return frames;
}

// An interactive TCP session of 130 s (a keystroke and its echo every 5 s, then a close):
// three records, the later ones continuing the connection.
inline std::vector<Frame> long_tcp_session() {
  TcpConversation c({"10.0.0.1", 40050}, {"10.0.0.2", 22});
  uint32_t cs = 1, ss = 1;
  std::vector<Frame> out;
  out.push_back(c.from_client(kT0, {kTcpSyn, cs - 1, 0, 64240, 7}));
  out.push_back(c.from_server(kT0 + 300, {kTcpSyn | kTcpAck, ss - 1, cs, 65160, 7}));
  out.push_back(c.from_client(kT0 + 600, {kTcpAck, cs, ss, 502}));
  for (int i = 1; i <= 26; ++i) {
    const int64_t t = kT0 + int64_t{i} * 5'000'000;
    out.push_back(c.from_client(t, {kTcpAck | kTcpPush, cs, ss, 502, -1, "k"}));
    cs += 1;
    out.push_back(c.from_server(t + 2000, {kTcpAck | kTcpPush, ss, cs, 509, -1, "k"}));
    ss += 1;
    out.push_back(c.from_client(t + 2400, {kTcpAck, cs, ss, 502}));
  }
  const int64_t t = kT0 + 131'000'000;
  out.push_back(c.from_client(t, {kTcpFin | kTcpAck, cs, ss, 502}));
  out.push_back(c.from_server(t + 300, {kTcpFin | kTcpAck, ss, cs + 1, 509}));
  out.push_back(c.from_client(t + 600, {kTcpAck, cs + 1, ss + 1, 502}));
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
      {"icmp_unreachable_scan", icmp_unreachable_scan()},
      {"udp_one_way", udp_one_way()},
      {"udp_two_way", udp_two_way()},
      {"arp_exchange", arp_exchange()},
      {"vlan_udp", vlan_udp()},
      {"ipv6_tcp", ipv6_tcp()},
      {"long_udp_flow", long_udp_flow()},
      {"same_host_tcp", same_host_tcp()},
      {"tcp_window_scaling_out_of_order", tcp_window_scaling_out_of_order()},
      {"ftp_port_and_pasv", ftp_port_and_pasv()},
      {"http_pipelining", http_pipelining()},
      {"tcp_snaplen_64", tcp_snaplen_64()},
      {"long_tcp_session", long_tcp_session()},
  };
}

}  // namespace flowsentry::meter::testing
