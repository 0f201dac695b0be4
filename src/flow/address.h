// IP addresses of the identity fields as 16 bytes: IPv6 as is, IPv4 as its IPv4-mapped IPv6
// form (::ffff:a.b.c.d). Byte order is address order, so the stores can keep them sortable
// (a CIDR filter is a range) and PostgreSQL's inet gets the family back.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsentry::flow {

using AddressBytes = std::array<uint8_t, 16>;

// Parses dotted IPv4 or IPv6 text (inet_pton, no zone, no prefix); nullopt when it is neither.
std::optional<AddressBytes> parse_address(std::string_view text);

// True for ::ffff:a.b.c.d, which format_address prints as a.b.c.d.
bool is_ipv4_mapped(const AddressBytes& a);

// The canonical text: dotted IPv4 for mapped addresses, RFC 5952 IPv6 otherwise.
std::string format_address(const AddressBytes& a);

}  // namespace flowsentry::flow
