// Packet decoding: link layer (Ethernet with VLAN tags, Linux SLL/SLL2, raw IP, BSD
// null/loop), IPv4/IPv6 (extension headers skipped), TCP/UDP/ICMP/ICMPv6/ARP. Reads only
// inside the captured bytes; anything it cannot use is a SkipReason, never a crash.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

#include "meter/packet.h"

namespace flowsentry::meter {

// Why a packet did not reach the flow table (flowsentry_packets_skipped_total{reason}).
enum class SkipReason : uint8_t {
  kNone,
  kTruncated,        // snaplen cut a header short
  kBadHeaderLength,  // a length field contradicts itself (IHL < 5, total length < IHL, ...)
  kBadVersion,       // IP version neither 4 nor 6
  kUnknownLinkType,  // a link type the decoder does not know
  kNonIp,            // a link-layer protocol that is neither IP nor ARP (LLDP, STP, ...)
  kFragment,         // a non-first IP fragment (its ports are in another packet)
  kBadArp,           // ARP that is not Ethernet/IPv4
  kCount
};

std::string_view skip_reason_name(SkipReason r);

enum class Network : uint8_t { kIpv4, kIpv6, kArp };

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPush = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;

using Address = std::array<uint8_t, 16>;  // IPv4 in the first 4 bytes

struct TcpHeader {
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint16_t win = 0;
  uint8_t flags = 0;
  uint8_t header_len = 0;  // bytes, options included
  int window_scale = -1;   // from the SYN option, -1 when absent
};

struct DecodedPacket {
  Network network = Network::kIpv4;
  uint8_t proto = 0;  // IP protocol; 0 for ARP
  Address src{};
  Address dst{};
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint8_t ttl = 0;         // IPv4 TTL or IPv6 hop limit
  uint16_t ip_id_raw = 0;  // IPv4 id as the header's two bytes read on a little-endian host
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;
  uint16_t icmp_id = 0;
  uint16_t icmp_seq = 0;
  uint16_t arp_op = 0;
  std::array<uint8_t, 6> arp_sha{};
  std::array<uint8_t, 6> arp_tha{};
  TcpHeader tcp;
  // ICMP errors (unreachable, redirect, time exceeded): the packet they quote.
  bool has_inner = false;
  Network inner_network = Network::kIpv4;
  uint8_t inner_proto = 0;
  Address inner_src{};
  Address inner_dst{};
  uint16_t inner_sport = 0;
  uint16_t inner_dport = 0;
  uint32_t l4_payload_len = 0;       // from the IP length fields, not the snaplen
  std::span<const uint8_t> payload;  // the captured part of the L4 payload
};

// Decodes `p` into `out`; returns kNone on success.
SkipReason decode_packet(const Packet& p, DecodedPacket& out);

}  // namespace flowsentry::meter
