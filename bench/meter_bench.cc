// The flow meter alone on one core (no pcap reading, no CSV): decode + flow table + features
// + ct_* window, packets per second. 10,000 interleaved 10-packet HTTP connections in memory.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "meter/meter.h"
#include "meter/tests/scenarios.h"

namespace m = flowsentry::meter;
namespace t = flowsentry::meter::testing;

namespace {

// Connection i gets its own client address and port, starts 200 µs after i-1.
std::vector<t::Frame> connections(int n) {
  const auto one = t::tcp_handshake_close();
  std::vector<t::Frame> frames;
  for (int i = 0; i < n; ++i) {
    for (t::Frame f : one) {
      const bool from_client = f.bytes[29] == 1;
      f.bytes[(from_client ? 26 : 30) + 2] = static_cast<uint8_t>(i >> 8);
      f.bytes[(from_client ? 26 : 30) + 3] = static_cast<uint8_t>(1 + (i & 0x7F));
      f.bytes[(from_client ? 34 : 36) + 1] = static_cast<uint8_t>(i);
      f.ts_us += int64_t{i} * 200;
      frames.push_back(std::move(f));
    }
  }
  std::stable_sort(frames.begin(), frames.end(),
                   [](const t::Frame& a, const t::Frame& b) { return a.ts_us < b.ts_us; });
  return frames;
}

}  // namespace

static void BM_MeterHttpConnections(benchmark::State& state) {
  const auto frames = connections(10'000);
  std::vector<m::Packet> packets;
  for (const auto& f : frames) packets.push_back(f.packet());
  std::vector<flowsentry::flow::FlowRecord> out;
  for (auto _ : state) {
    m::Meter meter;
    for (const auto& p : packets) {
      meter.add(p);
      if (meter.take(out, 4096) > 0) out.clear();
    }
    meter.finish();
    while (meter.take(out, 4096) > 0) out.clear();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(packets.size()));
}
BENCHMARK(BM_MeterHttpConnections)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
