#include "meter/decode.h"

#include <cstring>

namespace flowsentry::meter {
namespace {

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherArp = 0x0806;
constexpr uint16_t kEtherIpv6 = 0x86DD;
constexpr uint16_t kEtherVlan = 0x8100;
constexpr uint16_t kEtherQinQ = 0x88A8;
constexpr uint16_t kEtherQinQOld = 0x9100;

uint16_t be16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// A bounds-checked view that shrinks as headers are consumed.
struct Cursor {
  const uint8_t* p;
  size_t n;
  bool has(size_t k) const { return n >= k; }
  void skip(size_t k) {
    p += k;
    n -= k;
  }
};

SkipReason decode_tcp(Cursor c, uint32_t l4_len, DecodedPacket& out) {
  if (!c.has(20)) return SkipReason::kTruncated;
  out.sport = be16(c.p);
  out.dport = be16(c.p + 2);
  TcpHeader& t = out.tcp;
  t.seq = be32(c.p + 4);
  t.ack = be32(c.p + 8);
  t.header_len = static_cast<uint8_t>((c.p[12] >> 4) * 4);
  t.flags = c.p[13];
  t.win = be16(c.p + 14);
  t.window_scale = -1;
  if (t.header_len < 20 || t.header_len > l4_len) return SkipReason::kBadHeaderLength;
  // Options are optional reading: a snaplen that cuts them is still a usable packet.
  size_t opt_end = std::min<size_t>(t.header_len, c.n);
  for (size_t i = 20; i < opt_end;) {
    uint8_t kind = c.p[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= opt_end) break;
    uint8_t len = c.p[i + 1];
    if (len < 2 || i + len > opt_end) break;
    if (kind == 3 && len == 3) t.window_scale = c.p[i + 2];
    i += len;
  }
  out.l4_payload_len = l4_len - t.header_len;
  size_t have = c.n > t.header_len ? c.n - t.header_len : 0;
  out.payload = {c.p + std::min<size_t>(t.header_len, c.n),
                 std::min<size_t>(have, out.l4_payload_len)};
  return SkipReason::kNone;
}

// The IP header and first 8 bytes an ICMP error quotes; best effort, never an error.
void decode_quoted(Cursor c, DecodedPacket& out) {
  size_t ports_at;
  if (c.has(20) && (c.p[0] >> 4) == 4) {
    const size_t ihl = size_t{c.p[0] & 0x0Fu} * 4;
    if (ihl < 20) return;
    out.inner_network = Network::kIpv4;
    out.inner_proto = c.p[9];
    std::memcpy(out.inner_src.data(), c.p + 12, 4);
    std::memcpy(out.inner_dst.data(), c.p + 16, 4);
    ports_at = ihl;
  } else if (c.has(40) && (c.p[0] >> 4) == 6) {
    out.inner_network = Network::kIpv6;
    out.inner_proto = c.p[6];
    std::memcpy(out.inner_src.data(), c.p + 8, 16);
    std::memcpy(out.inner_dst.data(), c.p + 24, 16);
    ports_at = 40;
  } else {
    return;
  }
  if ((out.inner_proto == kProtoTcp || out.inner_proto == kProtoUdp) && c.has(ports_at + 4)) {
    out.inner_sport = be16(c.p + ports_at);
    out.inner_dport = be16(c.p + ports_at + 2);
  }
  out.has_inner = true;
}

bool is_icmp_error(uint8_t proto, uint8_t type) {
  if (proto == kProtoIcmp) return type == 3 || type == 5 || type == 11;
  return type >= 1 && type <= 4;
}

SkipReason decode_l4(Cursor c, uint32_t l4_len, DecodedPacket& out) {
  switch (out.proto) {
    case kProtoTcp:
      return decode_tcp(c, l4_len, out);
    case kProtoUdp: {
      if (!c.has(8)) return SkipReason::kTruncated;
      out.sport = be16(c.p);
      out.dport = be16(c.p + 2);
      if (l4_len < 8) return SkipReason::kBadHeaderLength;
      out.l4_payload_len = l4_len - 8;
      out.payload = {c.p + 8, std::min<size_t>(c.n - 8, out.l4_payload_len)};
      return SkipReason::kNone;
    }
    case kProtoIcmp:
    case kProtoIcmpv6: {
      if (!c.has(4)) return SkipReason::kTruncated;
      out.icmp_type = c.p[0];
      out.icmp_code = c.p[1];
      if (c.has(8)) {
        out.icmp_id = be16(c.p + 4);
        out.icmp_seq = be16(c.p + 6);
      }
      out.l4_payload_len = l4_len >= 4 ? l4_len - 4 : 0;
      if (is_icmp_error(out.proto, out.icmp_type) && c.has(8)) {
        c.skip(8);
        decode_quoted(c, out);
      }
      return SkipReason::kNone;
    }
    default:
      out.l4_payload_len = l4_len;
      out.payload = {c.p, std::min<size_t>(c.n, l4_len)};
      return SkipReason::kNone;
  }
}

SkipReason decode_ipv4(Cursor c, DecodedPacket& out) {
  if (!c.has(20)) return SkipReason::kTruncated;
  if ((c.p[0] >> 4) != 4) return SkipReason::kBadVersion;
  const size_t ihl = size_t{c.p[0] & 0x0Fu} * 4;
  const uint16_t total = be16(c.p + 2);
  if (ihl < 20 || total < ihl) return SkipReason::kBadHeaderLength;
  if (!c.has(ihl)) return SkipReason::kTruncated;
  out.network = Network::kIpv4;
  out.ttl = c.p[8];
  out.ip_id_raw = static_cast<uint16_t>(c.p[4] | (c.p[5] << 8));
  out.proto = c.p[9];
  std::memcpy(out.src.data(), c.p + 12, 4);
  std::memcpy(out.dst.data(), c.p + 16, 4);
  const uint16_t frag = be16(c.p + 6);
  if ((frag & 0x1FFF) != 0) return SkipReason::kFragment;
  c.skip(ihl);
  return decode_l4(c, total - static_cast<uint32_t>(ihl), out);
}

bool is_ipv6_extension(uint8_t h) {
  return h == 0 || h == 43 || h == 60 || h == 51 || h == 44;
}

SkipReason decode_ipv6(Cursor c, DecodedPacket& out) {
  if (!c.has(40)) return SkipReason::kTruncated;
  if ((c.p[0] >> 4) != 6) return SkipReason::kBadVersion;
  out.network = Network::kIpv6;
  uint32_t remaining = be16(c.p + 4);
  uint8_t next = c.p[6];
  out.ttl = c.p[7];
  std::memcpy(out.src.data(), c.p + 8, 16);
  std::memcpy(out.dst.data(), c.p + 24, 16);
  c.skip(40);
  for (int hops = 0; is_ipv6_extension(next); ++hops) {
    if (hops == 8) return SkipReason::kBadHeaderLength;
    if (!c.has(8)) return SkipReason::kTruncated;
    size_t len;
    if (next == 44) {  // fragment header: fixed 8 bytes
      if ((be16(c.p + 2) & 0xFFF8) != 0) {
        out.proto = c.p[0];
        return SkipReason::kFragment;
      }
      len = 8;
    } else if (next == 51) {  // AH counts 4-byte words minus 2
      len = (size_t{c.p[1]} + 2) * 4;
    } else {
      len = (size_t{c.p[1]} + 1) * 8;
    }
    if (len > remaining) return SkipReason::kBadHeaderLength;
    if (!c.has(len)) return SkipReason::kTruncated;
    next = c.p[0];
    c.skip(len);
    remaining -= static_cast<uint32_t>(len);
  }
  out.proto = next;
  return decode_l4(c, remaining, out);
}

SkipReason decode_arp(Cursor c, DecodedPacket& out) {
  if (!c.has(28)) return SkipReason::kTruncated;
  if (be16(c.p) != 1 || be16(c.p + 2) != kEtherIpv4 || c.p[4] != 6 || c.p[5] != 4) {
    return SkipReason::kBadArp;
  }
  out.network = Network::kArp;
  out.proto = 0;
  out.ttl = 0;
  out.arp_op = be16(c.p + 6);
  std::memcpy(out.arp_sha.data(), c.p + 8, 6);
  std::memcpy(out.src.data(), c.p + 14, 4);
  std::memcpy(out.arp_tha.data(), c.p + 18, 6);
  std::memcpy(out.dst.data(), c.p + 24, 4);
  out.l4_payload_len = 0;
  return SkipReason::kNone;
}

SkipReason decode_ethertype(uint16_t type, Cursor c, DecodedPacket& out) {
  switch (type) {
    case kEtherIpv4:
      return decode_ipv4(c, out);
    case kEtherIpv6:
      return decode_ipv6(c, out);
    case kEtherArp:
      return decode_arp(c, out);
    default:
      return SkipReason::kNonIp;
  }
}

SkipReason decode_raw_ip(Cursor c, DecodedPacket& out) {
  if (!c.has(1)) return SkipReason::kTruncated;
  switch (c.p[0] >> 4) {
    case 4:
      return decode_ipv4(c, out);
    case 6:
      return decode_ipv6(c, out);
    default:
      return SkipReason::kBadVersion;
  }
}

}  // namespace

std::string_view skip_reason_name(SkipReason r) {
  switch (r) {
    case SkipReason::kNone:
      return "none";
    case SkipReason::kTruncated:
      return "truncated";
    case SkipReason::kBadHeaderLength:
      return "bad_header_length";
    case SkipReason::kBadVersion:
      return "bad_ip_version";
    case SkipReason::kUnknownLinkType:
      return "unknown_link_type";
    case SkipReason::kNonIp:
      return "non_ip";
    case SkipReason::kFragment:
      return "fragment";
    case SkipReason::kBadArp:
      return "bad_arp";
    case SkipReason::kCount:
      break;
  }
  return "unknown";
}

SkipReason decode_packet(const Packet& p, DecodedPacket& out) {
  out = DecodedPacket{};
  Cursor c{p.bytes.data(), p.bytes.size()};
  switch (p.linktype) {
    case kLinkEthernet: {
      if (!c.has(14)) return SkipReason::kTruncated;
      uint16_t type = be16(c.p + 12);
      c.skip(14);
      for (int tags = 0; type == kEtherVlan || type == kEtherQinQ || type == kEtherQinQOld;
           ++tags) {
        if (tags == 4) return SkipReason::kBadHeaderLength;
        if (!c.has(4)) return SkipReason::kTruncated;
        type = be16(c.p + 2);
        c.skip(4);
      }
      return decode_ethertype(type, c, out);
    }
    case kLinkLinuxSll: {
      if (!c.has(16)) return SkipReason::kTruncated;
      uint16_t type = be16(c.p + 14);
      c.skip(16);
      return decode_ethertype(type, c, out);
    }
    case kLinkLinuxSll2: {
      if (!c.has(20)) return SkipReason::kTruncated;
      uint16_t type = be16(c.p);
      c.skip(20);
      return decode_ethertype(type, c, out);
    }
    case kLinkRaw:
    case kLinkRawAlt12:
    case kLinkRawAlt14:
      return decode_raw_ip(c, out);
    case kLinkIpv4:
      return decode_ipv4(c, out);
    case kLinkIpv6:
      return decode_ipv6(c, out);
    case kLinkNull:
    case kLinkLoop: {
      if (!c.has(4)) return SkipReason::kTruncated;
      uint32_t family;
      if (p.linktype == kLinkLoop) {
        family = be32(c.p);
      } else {
        std::memcpy(&family, c.p, 4);  // host order of the capturing machine: accept both
        if (family > 0xFFFF) family = __builtin_bswap32(family);
      }
      c.skip(4);
      if (family == 2) return decode_ipv4(c, out);
      if (family == 10 || family == 24 || family == 28 || family == 30) return decode_ipv6(c, out);
      return SkipReason::kNonIp;
    }
    default:
      return SkipReason::kUnknownLinkType;
  }
}

}  // namespace flowsentry::meter
