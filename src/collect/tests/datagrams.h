// Hand-built NetFlow v5, v9 and IPFIX datagrams for the collector's tests, the fuzz seeds and
// the benchmark: each field written as the RFCs lay it out, big-endian.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace flowsentry::collect::testing {

struct Bytes {
  std::vector<uint8_t> b;
  Bytes& u8(uint64_t v) {
    b.push_back(static_cast<uint8_t>(v));
    return *this;
  }
  Bytes& u16(uint64_t v) { return u8(v >> 8).u8(v); }
  Bytes& u32(uint64_t v) { return u16(v >> 16).u16(v); }
  Bytes& u64(uint64_t v) { return u32(v >> 32).u32(v); }
  Bytes& add(const Bytes& o) {
    b.insert(b.end(), o.b.begin(), o.b.end());
    return *this;
  }
  Bytes& ip4(uint8_t a, uint8_t bb, uint8_t c, uint8_t d) { return u8(a).u8(bb).u8(c).u8(d); }
  size_t size() const { return b.size(); }
};

struct Field {
  uint16_t id;
  uint16_t length;
  uint32_t pen = 0;
};

// A template record (IPFIX: enterprise bit and number when pen != 0).
inline Bytes template_record(uint16_t id, std::initializer_list<Field> fields) {
  Bytes t;
  t.u16(id).u16(fields.size());
  for (const auto& f : fields) {
    t.u16(f.pen ? f.id | 0x8000 : f.id).u16(f.length);
    if (f.pen) t.u32(f.pen);
  }
  return t;
}

inline Bytes set(uint16_t id, const Bytes& body) {
  Bytes s;
  s.u16(id).u16(body.size() + 4).add(body);
  return s;
}

inline std::vector<uint8_t> ipfix(uint32_t export_secs, uint32_t seq, uint32_t domain,
                                  std::initializer_list<Bytes> sets) {
  Bytes body;
  for (const auto& s : sets) body.add(s);
  Bytes m;
  m.u16(10).u16(16 + body.size()).u32(export_secs).u32(seq).u32(domain).add(body);
  return m.b;
}

inline std::vector<uint8_t> v9(uint32_t uptime_ms, uint32_t unix_secs, uint32_t seq,
                               uint32_t source_id, std::initializer_list<Bytes> sets) {
  Bytes m;
  m.u16(9).u16(sets.size()).u32(uptime_ms).u32(unix_secs).u32(seq).u32(source_id);
  for (const auto& s : sets) m.add(s);
  return m.b;
}

// The layout softflowd exports for IPv4 (addresses, ms times, counts, ports, proto, flags).
inline constexpr uint16_t kFlowTemplate = 256;
inline Bytes flow_template(uint16_t id = kFlowTemplate) {
  return template_record(
      id, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {6, 1}, {1, 8}, {2, 8}, {152, 8}, {153, 8}});
}

struct Flow {
  std::array<uint8_t, 4> src{10, 0, 0, 1};
  std::array<uint8_t, 4> dst{10, 0, 0, 2};
  uint16_t sport = 40000;
  uint16_t dport = 80;
  uint8_t proto = 6;
  uint8_t flags = 0x1b;  // FIN SYN PSH ACK
  uint64_t bytes = 1000;
  uint64_t packets = 10;
  uint64_t start_ms = 1'700'000'000'000;
  uint64_t end_ms = 1'700'000'001'500;
};

inline Bytes flow_data(const Flow& f) {
  Bytes r;
  r.ip4(f.src[0], f.src[1], f.src[2], f.src[3]).ip4(f.dst[0], f.dst[1], f.dst[2], f.dst[3]);
  r.u16(f.sport).u16(f.dport).u8(f.proto).u8(f.flags).u64(f.bytes).u64(f.packets);
  r.u64(f.start_ms).u64(f.end_ms);
  return r;
}

inline Bytes flow_records(std::initializer_list<Flow> flows) {
  Bytes r;
  for (const auto& f : flows) r.add(flow_data(f));
  return r;
}

// NetFlow v5: uptime/unix time in the header, First/Last as uptime ms.
inline std::vector<uint8_t> v5(uint32_t uptime_ms, uint32_t unix_secs, uint32_t seq,
                               std::initializer_list<Flow> flows, uint32_t first_up,
                               uint32_t last_up) {
  Bytes m;
  m.u16(5).u16(flows.size()).u32(uptime_ms).u32(unix_secs).u32(0).u32(seq).u8(0).u8(0).u16(0);
  for (const auto& f : flows) {
    m.ip4(f.src[0], f.src[1], f.src[2], f.src[3]).ip4(f.dst[0], f.dst[1], f.dst[2], f.dst[3]);
    m.u32(0).u16(1).u16(2).u32(f.packets).u32(f.bytes).u32(first_up).u32(last_up);
    m.u16(f.sport).u16(f.dport).u8(0).u8(f.flags).u8(f.proto).u8(0).u16(0).u16(0).u8(24).u8(24);
    m.u16(0);
  }
  return m.b;
}

inline constexpr std::array<uint8_t, 16> kExporter{192, 0, 2, 1};

}  // namespace flowsentry::collect::testing
