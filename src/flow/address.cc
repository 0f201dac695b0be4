#include "flow/address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace flowsentry::flow {

std::optional<AddressBytes> parse_address(std::string_view text) {
  // inet_pton needs a NUL-terminated string; the longest IPv6 text is 45 characters.
  if (text.empty() || text.size() > INET6_ADDRSTRLEN - 1) return std::nullopt;
  if (text.find('\0') != std::string_view::npos) return std::nullopt;  // pton would stop there
  char buf[INET6_ADDRSTRLEN];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  AddressBytes out{};
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = 0xff;
    out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  if (inet_pton(AF_INET6, buf, out.data()) == 1) return out;
  return std::nullopt;
}

bool is_ipv4_mapped(const AddressBytes& a) {
  return std::all_of(a.begin(), a.begin() + 10, [](uint8_t b) { return b == 0; }) &&
         a[10] == 0xff && a[11] == 0xff;
}

std::string format_address(const AddressBytes& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (is_ipv4_mapped(a)) {
    inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  }
  return buf;
}

}  // namespace flowsentry::flow
