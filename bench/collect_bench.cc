// The collector's speed: IPFIX records decoded per second on one core (decoder alone, and the
// whole path to FlowRecords with pairing and ct_* counts), and a loopback loss check: a sender
// thread exports 100 k records/s to a UdpReceiver for 3 s and every record must arrive.
// `make bench-micro`; numbers in docs/benchmarks.md ("Flow collector").
#include <benchmark/benchmark.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "collect/collector.h"
#include "collect/tests/datagrams.h"
#include "collect/udp_receiver.h"

namespace {

using namespace flowsentry::collect;
using namespace flowsentry::collect::testing;

constexpr int kRecordsPerDatagram = 30;  // what fits a 1500-byte MTU with softflowd's layout

// One IPFIX message of 30 distinct flows (seq numbers the records), template sent separately.
std::vector<uint8_t> data_message(uint32_t seq, uint32_t base) {
  Bytes recs;
  for (int i = 0; i < kRecordsPerDatagram; ++i) {
    Flow f;
    const uint32_t n = base + static_cast<uint32_t>(i);
    f.src = {10, static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 8),
             static_cast<uint8_t>(n)};
    f.sport = static_cast<uint16_t>(1024 + n % 60000);
    recs.add(flow_data(f));
  }
  return ipfix(1'700'000'002, seq, 1, {set(kFlowTemplate, recs)});
}

std::vector<std::vector<uint8_t>> messages(int n) {
  std::vector<std::vector<uint8_t>> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(data_message(static_cast<uint32_t>(i * kRecordsPerDatagram),
                               static_cast<uint32_t>(i * kRecordsPerDatagram)));
  }
  return out;
}

void BM_DecodeIpfix(benchmark::State& state) {
  Decoder d;
  std::vector<ExportRecord> out;
  d.decode(kExporter, ipfix(1'700'000'002, 0, 1, {set(2, flow_template())}), out);
  auto msgs = messages(1000);
  size_t i = 0;
  for (auto _ : state) {
    out.clear();
    d.decode(kExporter, msgs[i++ % msgs.size()], out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecordsPerDatagram);
}
BENCHMARK(BM_DecodeIpfix);

void BM_CollectIpfixToFlowRecords(benchmark::State& state) {
  Collector c;
  c.add(kExporter, ipfix(1'700'000'002, 0, 1, {set(2, flow_template())}), 0);
  auto msgs = messages(1000);
  std::vector<flowsentry::flow::FlowRecord> out;
  std::vector<flowsentry::flow::FieldProblem> rejected;
  size_t i = 0;
  int64_t now = 0;
  for (auto _ : state) {
    c.add(kExporter, msgs[i++ % msgs.size()], now += 1000);
    out.clear();
    c.take(out, rejected);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()) * kRecordsPerDatagram);
}
BENCHMARK(BM_CollectIpfixToFlowRecords);

// 100 k records/s for 3 s over loopback into the collector: counters sent, received, lost.
void BM_LoopbackLossAt100kRecordsPerSecond(benchmark::State& state) {
  constexpr int kRate = 100'000;
  constexpr int kSeconds = 3;
  constexpr int kDatagrams = kRate * kSeconds / kRecordsPerDatagram;
  auto msgs = messages(kDatagrams);
  for (auto _ : state) {
    auto receiver = UdpReceiver::bind({"127.0.0.1", 0}, 32);
    if (!receiver.ok()) {
      state.SkipWithError("cannot bind");
      return;
    }
    Collector c({.pairing = {.window_us = 0}});
    std::atomic<bool> done{false};
    std::thread rx([&] {
      std::vector<flowsentry::flow::FlowRecord> out;
      std::vector<flowsentry::flow::FieldProblem> rejected;
      auto handle = [&](const auto& e, auto b, uint16_t port) { c.add(e, b, 0, port); };
      while (!done.load() || (*receiver)->receive(std::chrono::milliseconds(200), handle) > 0) {
        (*receiver)->receive(std::chrono::milliseconds(50), handle);
        out.clear();
        c.take(out, rejected);
      }
    });
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons((*receiver)->port());
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto send = [&](const std::vector<uint8_t>& m) {
      sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    };
    send(ipfix(1'700'000'002, 0, 1, {set(2, flow_template())}));
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kDatagrams; ++i) {
      // Paced: datagram i leaves at i / (rate / 30) seconds.
      std::this_thread::sleep_until(
          start + std::chrono::microseconds(int64_t{i} * kRecordsPerDatagram * 1'000'000 / kRate));
      send(msgs[i]);
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    done = true;
    rx.join();
    close(fd);
    const auto& k = c.decoder_counters();
    state.counters["sent_records"] = kDatagrams * kRecordsPerDatagram;
    state.counters["received_records"] = static_cast<double>(k.records[2]);
    state.counters["lost_records"] = static_cast<double>(k.lost_records);
    state.counters["send_rate"] = kDatagrams * kRecordsPerDatagram / secs;
  }
}
BENCHMARK(BM_LoopbackLossAt100kRecordsPerSecond)->Iterations(1)->Unit(benchmark::kSecond);

}  // namespace

BENCHMARK_MAIN();
