// Fuzzes the packet decoder and the flow meter: the first byte picks a link type, the rest
// is cut into packets (a length byte before each). Decoding must never read out of bounds or
// crash; every packet is either metered or counted under a skip reason.
#include <array>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "meter/meter.h"

using namespace flowsentry::meter;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr std::array<int, 10> kLinkTypes{
      kLinkEthernet, kLinkRaw,  kLinkRawAlt12, kLinkNull,      kLinkLoop,
      kLinkLinuxSll, kLinkIpv4, kLinkIpv6,     kLinkLinuxSll2, 147};
  if (size < 1) return 0;
  const int linktype = kLinkTypes[data[0] % kLinkTypes.size()];
  MeterSettings settings;
  settings.max_flows = 4;  // exercise eviction too
  Meter meter(settings);
  size_t pos = 1;
  int64_t ts = 1'700'000'000'000'000;
  while (pos < size) {
    const size_t len = std::min<size_t>(data[pos], size - pos - 1);
    ++pos;
    // Copy so ASan sees the exact packet bounds.
    std::vector<uint8_t> bytes(data + pos, data + pos + len);
    Packet p{ts, static_cast<uint32_t>(len + 10), linktype, {bytes.data(), bytes.size()}};
    DecodedPacket d;
    decode_packet(p, d);
    meter.add(p);
    ts += 7'000'000;  // crosses idle timeouts and the status interval now and then
    pos += len;
  }
  meter.finish();
  std::vector<flowsentry::flow::FlowRecord> out;
  meter.take(out);
  const auto& c = meter.counters();
  if (c.metered + c.skipped_total() != c.packets) std::abort();
  return 0;
}
