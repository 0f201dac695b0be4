// Fuzzes what the host routes parse from a URL: address/CIDR ranges, flow ids (cursors) and the
// "names this address" scan. A range must be ordered; an id that decodes must encode back to an
// id that decodes to the same flow.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/hosts.h"

using namespace flowsentry::store;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = parse_address_range(text);
  if (r.ok() && !(r->lo <= r->hi)) std::abort();
  if (auto id = decode_flow_id(text)) {
    auto again = decode_flow_id(encode_flow_id(id->stime, id->key));
    if (!again || again->stime != id->stime || again->key.source != id->key.source ||
        again->key.partition != id->key.partition || again->key.offset != id->key.offset) {
      std::abort();
    }
  }
  const auto half = text.size() / 2;
  (void)names_address(text.substr(0, half), text.substr(half));
  return 0;
}
