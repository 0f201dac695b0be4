// Detection speed on one core: ADWIN updates per second on score-like streams (target >= 5M/s),
// with the window's memory as a counter. Run: build/bench/bench_detect
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "detect/adwin.h"

namespace fd = flowsentry::detect;

static std::vector<double> score_stream(size_t n, bool with_shift) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> low(0.1, 0.05), high(0.6, 0.05);
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i)
    v[i] = (with_shift && (i / 100000) % 2 == 1) ? high(rng) : low(rng);
  return v;
}

static void adwin_run(benchmark::State& state, bool with_shift) {
  const auto values = score_stream(1 << 20, with_shift);
  fd::AdwinOptions opt;
  opt.clock = static_cast<int>(state.range(0));
  fd::Adwin adwin(opt);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(adwin.update(values[i++ & ((1 << 20) - 1)]));
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["width"] = static_cast<double>(adwin.width());
  state.counters["bytes"] = static_cast<double>(adwin.memory_bytes());
  state.counters["changes"] = static_cast<double>(adwin.detections());
}

static void BM_AdwinStationary(benchmark::State& state) {
  adwin_run(state, false);
}
BENCHMARK(BM_AdwinStationary)->Arg(32)->Arg(1);

static void BM_AdwinWithShifts(benchmark::State& state) {
  adwin_run(state, true);
}
BENCHMARK(BM_AdwinWithShifts)->Arg(32);
BENCHMARK_MAIN();
