// A captured packet as the meter receives it: no I/O here, a reader (libpcap, a test) hands
// the bytes over.
#pragma once

#include <cstdint>
#include <span>

namespace flowsentry::meter {

// libpcap link types the decoder understands (LINKTYPE_* values in pcap files).
inline constexpr int kLinkNull = 0;        // BSD loopback, host-order family
inline constexpr int kLinkEthernet = 1;    // incl. 802.1Q / QinQ tags
inline constexpr int kLinkRaw = 101;       // raw IPv4/IPv6
inline constexpr int kLinkRawAlt12 = 12;   // DLT_RAW on most systems
inline constexpr int kLinkRawAlt14 = 14;   // DLT_RAW on OpenBSD
inline constexpr int kLinkLoop = 108;      // OpenBSD loopback, network-order family
inline constexpr int kLinkLinuxSll = 113;  // Linux cooked capture v1
inline constexpr int kLinkIpv4 = 228;
inline constexpr int kLinkIpv6 = 229;
inline constexpr int kLinkLinuxSll2 = 276;  // Linux cooked capture v2

struct Packet {
  int64_t ts_us = 0;     // capture time, microseconds since the epoch
  uint32_t wirelen = 0;  // length on the wire (pcap "len"), what Argus counts as bytes
  int linktype = kLinkEthernet;
  std::span<const uint8_t> bytes;  // the captured bytes (pcap "caplen" of them)
};

}  // namespace flowsentry::meter
