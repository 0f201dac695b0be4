#include "detect/flow_summary.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace flowsentry::detect {
namespace {

constexpr uint8_t kVersion = 1;
constexpr size_t kMaxText = 64;
constexpr double kMaxCount = 9007199254740992.0;  // 2^53: exact in a double
constexpr double kMaxStime = 1e11;
constexpr int64_t kMaxPort = 1LL << 32;
constexpr double kMaxDur = 1e7;

enum Flags : uint8_t {
  kHasLtime = 1,
  kHasSport = 2,
  kHasDsport = 4,
  kHasArpSha = 8,
  kHasArpTha = 16,
  kSameIpsPorts = 32,
  kKnownFlags = 63,
};

enum AddressTag : uint8_t { kText = 0, kMac = 1, kIpv4 = 4, kIpv6 = 6 };

// ---- writing

void put_varint(uint64_t v, std::string& out) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

void put_signed(int64_t v, std::string& out) {
  put_varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

template <typename T>
void put_raw(T v, std::string& out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &v, sizeof(T));  // little-endian hosts only (x86-64, arm64)
  out.append(bytes, sizeof(T));
}

// Printable ASCII only, as the decoder wants: one odd byte must not cost the whole message.
void put_text(std::string_view s, std::string& out) {
  s = s.substr(0, kMaxText);
  out.push_back(static_cast<char>(s.size()));
  for (char c : s) out.push_back(c < 0x21 || c > 0x7e ? '?' : c);
}

// Values the decoder accepts, whatever the flow holds (NaN counts as 0).
double bounded(double v, double lo, double hi) {
  return v >= lo ? std::min(v, hi) : lo;
}

void put_count(double v, std::string& out) {
  put_varint(static_cast<uint64_t>(std::round(bounded(v, 0, kMaxCount))), out);
}

std::string format_mac(const uint8_t* m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

bool parse_mac(const std::string& s, std::array<uint8_t, 6>& m) {
  unsigned v[6];
  if (s.size() != 17 || std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2],
                                    &v[3], &v[4], &v[5]) != 6) {
    return false;
  }
  for (size_t i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return format_mac(m.data()) == s;  // only the canonical spelling goes binary
}

// Binary when the address reads back exactly as given, else as text.
void put_address(const std::string& s, std::string& out) {
  std::array<uint8_t, 16> ip{};
  // inet_pton takes IPv4 only as four decimals without leading zeros: the form it prints.
  if (inet_pton(AF_INET, s.c_str(), ip.data()) == 1) {
    out.push_back(static_cast<char>(kIpv4));
    out.append(reinterpret_cast<const char*>(ip.data()), 4);
    return;
  }
  char back[INET6_ADDRSTRLEN];
  if (inet_pton(AF_INET6, s.c_str(), ip.data()) == 1 &&
      inet_ntop(AF_INET6, ip.data(), back, sizeof back) && s == back) {
    out.push_back(static_cast<char>(kIpv6));
    out.append(reinterpret_cast<const char*>(ip.data()), 16);
    return;
  }
  std::array<uint8_t, 6> mac{};
  if (parse_mac(s, mac)) {
    out.push_back(static_cast<char>(kMac));
    out.append(reinterpret_cast<const char*>(mac.data()), mac.size());
    return;
  }
  out.push_back(static_cast<char>(kText));
  put_text(s, out);
}

// ---- reading

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool done() const { return pos_ == in_.size(); }
  const char* reason() const { return reason_; }
  bool failed() const { return reason_ != nullptr; }
  bool fail(const char* why) {
    if (!reason_) reason_ = why;
    return false;
  }

  bool byte(uint8_t& v) {
    if (pos_ >= in_.size()) return fail("truncated");
    v = static_cast<uint8_t>(in_[pos_++]);
    return true;
  }
  bool bytes(size_t n, std::string_view& v) {
    if (in_.size() - pos_ < n) return fail("truncated");
    v = in_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  template <typename T>
  bool raw(T& v) {
    std::string_view b;
    if (!bytes(sizeof(T), b)) return false;
    std::memcpy(&v, b.data(), sizeof(T));
    return true;
  }
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = 0;
      if (!byte(b)) return false;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return true;
    }
    return fail("bad_number");
  }
  bool count(double& v) {
    uint64_t u = 0;
    if (!varint(u)) return false;
    if (static_cast<double>(u) > kMaxCount) return fail("bad_number");
    v = static_cast<double>(u);
    return true;
  }
  bool port(std::optional<int64_t>& v) {
    uint64_t u = 0;
    if (!varint(u)) return false;
    const auto s = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    if (s < -1 || s > kMaxPort) return fail("bad_number");
    v = s;
    return true;
  }
  bool text(std::string& v) {
    uint8_t n = 0;
    std::string_view b;
    if (!byte(n) || !bytes(n, b)) return false;
    if (n > kMaxText) return fail("bad_text");
    for (char c : b) {
      if (c < 0x21 || c > 0x7e) return fail("bad_text");  // alerts are JSON: no raw bytes
    }
    v.assign(b);
    return true;
  }
  bool address(std::optional<std::string>& v) {
    uint8_t tag = 0;
    if (!byte(tag)) return false;
    std::string_view b;
    char out[INET6_ADDRSTRLEN];
    switch (tag) {
      case kIpv4:
      case kIpv6:
        if (!bytes(tag == kIpv4 ? 4 : 16, b)) return false;
        if (!inet_ntop(tag == kIpv4 ? AF_INET : AF_INET6, b.data(), out, sizeof out)) {
          return fail("bad_address");
        }
        v = out;
        return true;
      case kMac:
        if (!bytes(6, b)) return false;
        v = format_mac(reinterpret_cast<const uint8_t*>(b.data()));
        return true;
      case kText: {
        std::string s;
        if (!text(s)) return false;
        if (s.empty()) return fail("bad_address");
        v = std::move(s);
        return true;
      }
      default:
        return fail("bad_address");
    }
  }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  const char* reason_ = nullptr;
};

bool read_summary(Reader& r, flow::FlowRecord& f) {
  uint8_t flags = 0;
  double stime = 0;
  if (!r.byte(flags)) return false;
  if (flags & ~kKnownFlags) return r.fail("bad_flags");
  if (!r.raw(stime)) return false;
  if (!std::isfinite(stime) || stime < 0 || stime > kMaxStime) return r.fail("bad_number");
  f.stime = stime;
  if (flags & kHasLtime) {
    float dur = 0;
    if (!r.raw(dur)) return false;
    if (!std::isfinite(dur) || dur < 0 || dur > kMaxDur) return r.fail("bad_number");
    f.ltime = stime + dur;
  }
  if (!r.address(f.srcip) || !r.address(f.dstip)) return false;
  if ((flags & kHasSport) && !r.port(f.sport)) return false;
  if ((flags & kHasDsport) && !r.port(f.dsport)) return false;
  if (!r.text(f.proto) || !r.text(f.state)) return false;
  for (auto field : {flow::kSpkts, flow::kDpkts, flow::kSbytes, flow::kDbytes}) {
    if (!r.count(f[field])) return false;
  }
  if ((flags & kHasArpSha) && !r.address(f.arp_sha)) return false;
  if ((flags & kHasArpTha) && !r.address(f.arp_tha)) return false;
  if (flags & kSameIpsPorts) f[flow::kIsSmIpsPorts] = 1;
  return true;
}

}  // namespace

void encode_summary(const flow::FlowRecord& f, std::string& out) {
  const double stime = bounded(f.stime.value_or(0), 0, kMaxStime);
  const double dur = f.ltime ? *f.ltime - stime : 0;
  auto port_ok = [](const std::optional<int64_t>& p) { return p && *p >= -1 && *p <= kMaxPort; };
  uint8_t flags = 0;
  if (f.ltime && dur >= 0 && dur <= kMaxDur) flags |= kHasLtime;
  if (port_ok(f.sport)) flags |= kHasSport;
  if (port_ok(f.dsport)) flags |= kHasDsport;
  if (f.arp_sha) flags |= kHasArpSha;
  if (f.arp_tha) flags |= kHasArpTha;
  if (f[flow::kIsSmIpsPorts] != 0) flags |= kSameIpsPorts;
  out.push_back(static_cast<char>(flags));
  put_raw(stime, out);
  if (flags & kHasLtime) put_raw(static_cast<float>(dur), out);
  put_address(f.srcip.value_or(""), out);
  put_address(f.dstip.value_or(""), out);
  if (flags & kHasSport) put_signed(*f.sport, out);
  if (flags & kHasDsport) put_signed(*f.dsport, out);
  put_text(f.proto, out);
  put_text(f.state, out);
  for (auto field : {flow::kSpkts, flow::kDpkts, flow::kSbytes, flow::kDbytes}) {
    put_count(f[field], out);
  }
  if (f.arp_sha) put_address(*f.arp_sha, out);
  if (f.arp_tha) put_address(*f.arp_tha, out);
}

std::string summary_message(std::string_view summaries, size_t count) {
  std::string out;
  out.reserve(summaries.size() + 4);
  out.push_back(static_cast<char>(kVersion));
  put_varint(count, out);
  out.append(summaries);
  return out;
}

bool decode_summaries(std::string_view message, std::vector<flow::FlowRecord>& out,
                      std::string& reason) {
  if (message.empty()) {
    reason = "empty";
    return false;
  }
  Reader r(message);
  uint8_t version = 0;
  uint64_t count = 0;
  const size_t before = out.size();
  auto refuse = [&](const char* why) {
    out.resize(before);
    reason = why;
    return false;
  };
  if (!r.byte(version) || version != kVersion) return refuse("bad_version");
  if (!r.varint(count)) return refuse(r.reason());
  if (count == 0 || count > kMaxSummariesPerMessage) return refuse("bad_count");
  for (uint64_t i = 0; i < count; ++i) {
    flow::FlowRecord f;
    if (!read_summary(r, f)) return refuse(r.reason());
    out.push_back(std::move(f));
  }
  if (!r.done()) return refuse("trailing_bytes");
  return true;
}

}  // namespace flowsentry::detect
