#include "store/hosts.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace flowsentry::store {
namespace {

Error range_error(std::string_view text, std::string_view problem) {
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("'{}' is not an address or CIDR: {}", text.substr(0, 60), problem));
}

// Keeps the first `bits` bits of `a`; the rest set to 0 (lo) or 1 (hi).
flow::AddressBytes masked(flow::AddressBytes a, int bits, bool ones) {
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(bits - 8 * i, 0, 8);
    const auto mask = static_cast<uint8_t>(keep == 8 ? 0xff : (0xff00 >> keep) & 0xff);
    a[static_cast<size_t>(i)] = static_cast<uint8_t>((a[static_cast<size_t>(i)] & mask) |
                                                     (ones ? static_cast<uint8_t>(~mask) : 0));
  }
  return a;
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

}  // namespace

Result<AddressRange> parse_address_range(std::string_view text) {
  const auto slash = text.find('/');
  auto addr = flow::parse_address(text.substr(0, slash));
  if (!addr) return range_error(text, "the address does not parse");
  if (slash == std::string_view::npos) return AddressRange{*addr, *addr};
  const auto bits_text = text.substr(slash + 1);
  // An IPv4 prefix counts from the start of its mapped form (::ffff:0:0/96).
  const bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  const int max = v4 ? 32 : 128;
  int bits = -1;
  auto [p, ec] = std::from_chars(bits_text.data(), bits_text.data() + bits_text.size(), bits);
  if (bits_text.empty() || ec != std::errc() || p != bits_text.data() + bits_text.size() ||
      bits < 0 || bits > max) {
    return range_error(text, fmt::format("the prefix length must be 0 to {}", max));
  }
  const int total = v4 ? 96 + bits : bits;
  return AddressRange{masked(*addr, total, false), masked(*addr, total, true)};
}

std::string encode_flow_id(double stime, const flow::RecordKey& key) {
  std::string id = fmt::format("{}_{}_{}_", stime, key.partition, key.offset);
  for (unsigned char c : key.source) fmt::format_to(std::back_inserter(id), "{:02x}", c);
  return id;
}

std::optional<FlowCursor> decode_flow_id(std::string_view id) {
  if (id.size() > 1100) return std::nullopt;
  FlowCursor c;
  std::string_view rest = id;
  auto part = [&]() -> std::optional<std::string_view> {
    auto at = rest.find('_');
    if (at == std::string_view::npos) return std::nullopt;
    auto p = rest.substr(0, at);
    rest.remove_prefix(at + 1);
    return p;
  };
  auto t = part(), partition = part(), offset = part();
  if (!t || !partition || !offset || t->empty()) return std::nullopt;
  auto [tp, tec] = std::from_chars(t->data(), t->data() + t->size(), c.stime);
  if (tec != std::errc() || tp != t->data() + t->size() || !std::isfinite(c.stime)) {
    return std::nullopt;
  }
  auto int_of = [](std::string_view s, int64_t& out) {
    auto [q, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return !s.empty() && ec == std::errc() && q == s.data() + s.size();
  };
  if (!int_of(*partition, c.key.partition) || !int_of(*offset, c.key.offset)) return std::nullopt;
  if (rest.size() % 2 != 0) return std::nullopt;
  for (size_t i = 0; i < rest.size(); i += 2) {
    if (!is_hex(rest[i]) || !is_hex(rest[i + 1])) return std::nullopt;
    c.key.source +=
        static_cast<char>(std::strtol(std::string(rest.substr(i, 2)).c_str(), nullptr, 16));
  }
  return c;
}

bool names_address(std::string_view text, std::string_view ip) {
  if (ip.empty()) return false;
  // Characters that continue an address: a digit, hex letter, dot or colon next to a match
  // makes it part of a longer one.
  auto continues = [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == '.' ||
           c == ':';
  };
  for (size_t at = text.find(ip); at != std::string_view::npos; at = text.find(ip, at + 1)) {
    const size_t end = at + ip.size();
    const bool left = at == 0 || !continues(text[at - 1]);
    // A sentence may end right after the address ("... from 10.0.0.5.").
    const bool right = end == text.size() || !continues(text[end]) ||
                       (text[end] == '.' && (end + 1 == text.size() || !continues(text[end + 1])));
    if (left && right) return true;
  }
  return false;
}

}  // namespace flowsentry::store
