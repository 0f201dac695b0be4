// Detection speed on one core: ADWIN updates per second on score-like streams (target >= 5M/s),
// with the window's memory as a counter. Run: build/bench/bench_detect
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "detect/adwin.h"
#include "detect/behaviour.h"
#include "detect/burst.h"
#include "detect/flow_summary.h"
#include "detect/mix_drift.h"

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
static std::vector<flowsentry::model::ScoredFlow> flows(size_t n, double anomaly_share) {
  const char* protos[] = {"tcp", "udp", "arp", "unas"};
  const char* states[] = {"FIN", "CON", "INT", "REQ"};
  const char* services[] = {"-", "http", "dns", "ftp"};
  std::mt19937_64 rng(9);
  std::uniform_int_distribution<int> pick(0, 3);
  std::bernoulli_distribution anomalous(anomaly_share);
  std::vector<flowsentry::model::ScoredFlow> v(n);
  for (size_t i = 0; i < n; ++i) {
    v[i].flow.proto = protos[pick(rng)];
    v[i].flow.state = states[pick(rng)];
    v[i].flow.service = services[pick(rng)];
    v[i].flow.stime = 1.7e9 + 0.001 * static_cast<double>(i);
    v[i].verdict.label = anomalous(rng) ? 1 : 0;
    v[i].verdict.score = v[i].verdict.label ? 0.9 : 0.01;
  }
  return v;
}

// Flows per second through the traffic-mix windows (count windows of 5000, the default).
static void BM_MixDriftObserve(benchmark::State& state) {
  const auto batch = flows(1000, 0.01);
  fd::MixDriftOptions o;
  o.window_seconds = 0;
  fd::MixDriftDetector d(o, {{"proto", {{"tcp", 5}, {"udp", 3}, {"arp", 1}, {"unas", 1}}}});
  for (auto _ : state) benchmark::DoNotOptimize(d.observe(batch));
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_MixDriftObserve);

// Flows per second through the burst detector at 1% anomalies.
static void BM_BurstObserve(benchmark::State& state) {
  auto batch = flows(1000, 0.01);
  fd::BurstDetector d(fd::BurstOptions{});
  for (auto _ : state) {
    benchmark::DoNotOptimize(d.observe(batch));
    for (auto& f : batch) *f.flow.stime += 1.0;  // event time moves on, 1000 flows/s
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch.size()));
}
BENCHMARK(BM_BurstObserve);

// Host-behaviour detectors at 100k flows/s of event time from 100k distinct sources to 1k
// servers (mixed TCP/UDP/ICMP, a third failed): flows/s on one core and the state held.
static std::vector<flowsentry::flow::FlowRecord> host_flows(size_t n, int hosts) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> host(0, hosts - 1), server(0, 999), port(1, 1024), kind(0, 5);
  std::vector<flowsentry::flow::FlowRecord> out(n);
  for (size_t i = 0; i < n; ++i) {
    auto& f = out[i];
    const int h = i < static_cast<size_t>(hosts) ? static_cast<int>(i) : host(rng);
    f.stime = 1700000000 + static_cast<double>(i) / 100000;
    f.ltime = *f.stime + 0.01;
    f.srcip = fmt::format("10.{}.{}.{}", h >> 16 & 255, h >> 8 & 255, h & 255);
    f.sport = 1024 + static_cast<int64_t>(i % 60000);
    f.dstip = fmt::format("192.168.{}.{}", server(rng) >> 8, server(rng) & 255);
    const int k = kind(rng);
    f.proto = k < 3 ? "tcp" : k < 5 ? "udp" : "icmp";
    f.dsport = f.proto == "icmp" ? 0 : port(rng);
    f.state = k == 0 ? "REQ" : k < 3 ? "FIN" : k < 5 ? "CON" : "ECO";
    f[flowsentry::flow::kSpkts] = 4;
    f[flowsentry::flow::kDpkts] = k == 0 ? 0 : 4;
    f[flowsentry::flow::kSbytes] = 400;
    f[flowsentry::flow::kDur] = 0.01;
  }
  return out;
}

// Resident memory of this process, bytes (Linux).
static double rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * 4096;
}

static void BM_BehaviourDetectors(benchmark::State& state) {
  const auto flows = host_flows(1 << 20, static_cast<int>(state.range(0)));
  const double rss_before = rss_bytes();
  fd::BehaviourDetectors d({});
  std::vector<fd::Alert> alerts;
  size_t i = 0;
  for (auto _ : state) {
    d.observe(flows[i++ & ((1 << 20) - 1)], alerts);
    if (alerts.size() > 1000) alerts.clear();
  }
  state.SetItemsProcessed(state.iterations());
  const auto s = d.stats();
  state.counters["states"] = static_cast<double>(s.entries);
  state.counters["state_MB"] = static_cast<double>(s.approx_bytes) / 1e6;
  state.counters["rss_growth_MB"] = (rss_bytes() - rss_before) / 1e6;
}
BENCHMARK(BM_BehaviourDetectors)->Arg(100000)->Iterations(1 << 20);

// What a worker pays per flow for the alerter's target-keyed detectors: the shape test on every
// flow, and a flow summary for those of a target-keyed shape (a third of host_flows), appended to
// a message body as the publisher does.
static void BM_FlowSummaryEncode(benchmark::State& state) {
  const auto flows = host_flows(1 << 16, 100000);
  std::string body;
  size_t i = 0, encoded = 0, bytes = 0, in_message = 0;
  for (auto _ : state) {
    const auto& f = flows[i++ & ((1 << 16) - 1)];
    if (!fd::target_keyed_shape(f)) continue;
    fd::encode_summary(f, body);
    ++encoded;
    if (++in_message == fd::kMaxSummariesPerMessage) {
      bytes += body.size();
      benchmark::DoNotOptimize(fd::summary_message(body, in_message));
      body.clear();
      in_message = 0;
    }
  }
  bytes += body.size();
  state.SetItemsProcessed(state.iterations());
  state.counters["summarised_share"] = static_cast<double>(encoded) / state.iterations();
  state.counters["bytes_per_summary"] = static_cast<double>(bytes) / std::max<size_t>(encoded, 1);
}
BENCHMARK(BM_FlowSummaryEncode);

// The alerter's side: decoding full messages (512 summaries each), per summary.
static void BM_FlowSummaryDecode(benchmark::State& state) {
  const auto flows = host_flows(fd::kMaxSummariesPerMessage, 1000);
  std::string body;
  for (const auto& f : flows) fd::encode_summary(f, body);
  const auto message = fd::summary_message(body, flows.size());
  std::vector<flowsentry::flow::FlowRecord> out;
  std::string reason;
  for (auto _ : state) {
    out.clear();
    if (!fd::decode_summaries(message, out, reason)) state.SkipWithError(reason.c_str());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(flows.size()));
}
BENCHMARK(BM_FlowSummaryDecode);

BENCHMARK_MAIN();
