// ExportRecord: one flow as an exporter sent it (NetFlow v5, v9, IPFIX), before it becomes a
// FlowRecord. Counts are IP-level, as exporters count them; times are epoch microseconds.
// A biflow (RFC 5103, or two one-way records paired by BiflowPairer) carries the reverse
// direction's counts and flags beside the forward ones.
#pragma once

#include <array>
#include <cstdint>

namespace flowsentry::collect {

struct ExportRecord {
  std::array<uint8_t, 16> src{};  // IPv4 in the first 4 bytes
  std::array<uint8_t, 16> dst{};
  bool ipv6 = false;
  uint8_t proto = 0;
  uint16_t sport = 0;  // ICMP: 0
  uint16_t dport = 0;  // ICMP: type << 8 | code (the NetFlow convention)
  uint16_t tcp_flags = 0;
  uint16_t rev_tcp_flags = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t rev_packets = 0;
  uint64_t rev_bytes = 0;
  int64_t start_us = 0;
  int64_t end_us = 0;
  bool biflow = false;  // carries the reverse direction (possibly empty)
  uint8_t version = 0;  // 5, 9 or 10
};

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoIcmpV6 = 58;

}  // namespace flowsentry::collect
