// Writes every crafted scenario as DIR/NAME.pcap (for running argus on them by hand and in
// the Argus comparison test). With --bench N, writes DIR/bench.pcap instead: N interleaved
// HTTP-like TCP connections of 10 packets each, for throughput runs against argus + ra.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "meter/tests/scenarios.h"

namespace t = flowsentry::meter::testing;

int main(int argc, char** argv) {
  if (argc == 4 && std::strcmp(argv[1], "--bench") == 0) {
    const int n = std::atoi(argv[2]);
    const auto one = t::tcp_handshake_close();
    std::vector<t::Frame> frames;
    frames.reserve(static_cast<size_t>(n) * one.size());
    for (int i = 0; i < n; ++i) {
      for (size_t k = 0; k < one.size(); ++k) {
        t::Frame f = one[k];
        // Connection i starts 200 µs after i-1 and overlaps with ~25 others.
        f.ts_us += int64_t{i} * 200;
        // Vary the client address and port (Ethernet 14 + IPv4 src at 26, TCP sport at 34
        // for client packets, dport at 36 for server packets).
        const bool from_client = f.bytes[26 + 3] == 1;
        const size_t addr = from_client ? 26 : 30;
        const size_t port = from_client ? 34 : 36;
        f.bytes[addr + 2] = static_cast<uint8_t>((i >> 8) & 0xFF);
        f.bytes[addr + 3] = static_cast<uint8_t>(1 + (i & 0x7F));
        f.bytes[port] = static_cast<uint8_t>(0x80 | ((i >> 16) & 0x3F));
        f.bytes[port + 1] = static_cast<uint8_t>(i & 0xFF);
        frames.push_back(std::move(f));
      }
    }
    std::stable_sort(frames.begin(), frames.end(),
                     [](const t::Frame& a, const t::Frame& b) { return a.ts_us < b.ts_us; });
    return t::write_pcap(std::string(argv[3]) + "/bench.pcap", frames) ? 0 : 1;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: meter_gen_pcaps DIR | meter_gen_pcaps --bench N DIR\n");
    return 2;
  }
  for (const auto& [name, frames] : t::all_scenarios()) {
    if (!t::write_pcap(std::string(argv[1]) + "/" + name + ".pcap", frames)) {
      std::perror(name.c_str());
      return 1;
    }
  }
  return 0;
}
