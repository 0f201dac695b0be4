// Writes every crafted scenario as DIR/NAME.pcap (for running argus on them by hand and in
// the Argus comparison test). Throughput files (bench/meter):
//   --bench N DIR  DIR/bench.pcap: N interleaved HTTP-like TCP connections of 10 packets
//   --mix N DIR    DIR/mix.pcap: N connections of mixed kinds and lengths (HTTP, bulk
//                  download, DNS, rejected SYN), streamed so N can be millions
//   --scan N DIR   DIR/scan.pcap: a SYN scan of N distinct address/port pairs, every other
//                  probe answered by a RST (N flows of 1–2 packets)
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "meter/tests/scenarios.h"

namespace t = flowsentry::meter::testing;
namespace m = flowsentry::meter;

namespace {

// Gives connection i its own client address and port (Ethernet 14 + IPv4 src at 26, TCP/UDP
// sport at 34 for client packets; dst at 30 and dport at 36 for server packets). Every
// template's client is 10.0.0.1.
t::Frame vary_client(t::Frame f, int64_t i) {
  const bool from_client = f.bytes[26 + 3] == 1;
  const size_t addr = from_client ? 26 : 30;
  const size_t port = from_client ? 34 : 36;
  f.bytes[addr + 2] = static_cast<uint8_t>((i >> 8) & 0xFF);
  f.bytes[addr + 3] = static_cast<uint8_t>(1 + (i & 0x7F));
  f.bytes[port] = static_cast<uint8_t>(0x80 | ((i >> 16) & 0x3F));
  f.bytes[port + 1] = static_cast<uint8_t>(i & 0xFF);
  return f;
}

// A download: handshake, a GET, 40 full-size segments acked every other one, FIN close.
std::vector<t::Frame> bulk_download() {
  t::TcpConversation c({"10.0.0.1", 40100}, {"10.0.0.2", 80}, 64, 63);
  const std::string req = "GET /big HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string seg(1448, 'x');
  uint32_t cs = 1, ss = 1;
  int64_t ts = t::kT0;
  std::vector<t::Frame> out;
  out.push_back(c.from_client(ts, {m::kTcpSyn, cs - 1, 0, 64240, 7}));
  out.push_back(c.from_server(ts += 100, {m::kTcpSyn | m::kTcpAck, ss - 1, cs, 65160, 7}));
  out.push_back(c.from_client(ts += 100, {m::kTcpAck, cs, ss, 502}));
  out.push_back(c.from_client(ts += 50, {m::kTcpAck | m::kTcpPush, cs, ss, 502, -1, req}));
  cs += static_cast<uint32_t>(req.size());
  for (int k = 0; k < 40; ++k) {
    out.push_back(c.from_server(ts += 20, {m::kTcpAck, ss, cs, 509, -1, seg}));
    ss += static_cast<uint32_t>(seg.size());
    if (k % 2 == 1) out.push_back(c.from_client(ts += 10, {m::kTcpAck, cs, ss, 502}));
  }
  out.push_back(c.from_client(ts += 100, {m::kTcpFin | m::kTcpAck, cs, ss, 502}));
  out.push_back(c.from_server(ts += 100, {m::kTcpFin | m::kTcpAck, ss, cs + 1, 509}));
  out.push_back(c.from_client(ts += 100, {m::kTcpAck, cs + 1, ss + 1, 502}));
  return out;
}

// Writes frames in time order while connections are added in start order: a frame is
// written once no later connection can start before it.
class OrderedWriter {
 public:
  explicit OrderedWriter(FILE* f) : f_(f) {}
  void add(t::Frame fr) { queue_.emplace(std::make_pair(fr.ts_us, seq_++), std::move(fr)); }
  void flush_before(int64_t ts) {
    while (!queue_.empty() && queue_.begin()->first.first < ts) {
      write(queue_.begin()->second);
      queue_.erase(queue_.begin());
    }
  }
  bool close() {
    flush_before(INT64_MAX);
    return std::fclose(f_) == 0;
  }

 private:
  void write(const t::Frame& fr) {
    const uint32_t hdr[4] = {
        static_cast<uint32_t>(fr.ts_us / 1000000), static_cast<uint32_t>(fr.ts_us % 1000000),
        static_cast<uint32_t>(fr.bytes.size()), static_cast<uint32_t>(fr.bytes.size())};
    std::fwrite(hdr, sizeof(hdr), 1, f_);
    std::fwrite(fr.bytes.data(), 1, fr.bytes.size(), f_);
  }
  FILE* f_;
  uint64_t seq_ = 0;
  std::map<std::pair<int64_t, uint64_t>, t::Frame> queue_;
};

FILE* open_pcap(const std::string& path) {
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return nullptr;
  const uint32_t a[] = {0xa1b2c3d4, 0x00040002, 0, 0, 65535, 1};  // v2.4, Ethernet
  std::fwrite(a, sizeof(a), 1, f);
  return f;
}

int write_mix(int64_t n, const std::string& path) {
  FILE* f = open_pcap(path);
  if (!f) return 1;
  const std::vector<std::vector<t::Frame>> kinds = {t::tcp_handshake_close(), bulk_download(),
                                                    t::udp_two_way(), t::tcp_rejected()};
  // Out of 20 connections: 12 HTTP (10 packets), 1 download (66), 5 DNS (2), 2 rejected (2).
  static constexpr int kKindOf[20] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2, 3, 3};
  OrderedWriter w(f);
  for (int64_t i = 0; i < n; ++i) {
    const int64_t start = i * 50;  // a new connection every 50 µs
    for (const auto& fr : kinds[static_cast<size_t>(kKindOf[i % 20])]) {
      t::Frame v = vary_client(fr, i);
      v.ts_us += start;
      w.add(std::move(v));
    }
    w.flush_before(t::kT0 + start + 50);
  }
  return w.close() ? 0 : 1;
}

int write_scan(int64_t n, const std::string& path) {
  FILE* f = open_pcap(path);
  if (!f) return 1;
  OrderedWriter w(f);
  for (int64_t i = 0; i < n; ++i) {
    const std::string target = "10." + std::to_string(20 + ((i >> 16) & 0x3F)) + "." +
                               std::to_string((i >> 8) & 0xFF) + "." + std::to_string(i & 0xFF);
    const auto port = static_cast<uint16_t>(1 + (i * 7919) % 65000);
    t::TcpConversation c({"10.9.0.1", 61000}, {target, port}, 64, 64);
    const int64_t ts = t::kT0 + i * 5;  // 200 k probes/s
    w.add(c.from_client(ts, {m::kTcpSyn, 0x1000, 0, 1024}));
    if (i % 2 == 0) w.add(c.from_server(ts + 40, {m::kTcpRst | m::kTcpAck, 0, 0x1001, 0}));
    w.flush_before(ts + 5);
  }
  return w.close() ? 0 : 1;
}

int write_bench(int n, const std::string& path) {
  const auto one = t::tcp_handshake_close();
  std::vector<t::Frame> frames;
  frames.reserve(static_cast<size_t>(n) * one.size());
  for (int i = 0; i < n; ++i) {
    for (const auto& fr : one) {
      t::Frame v = vary_client(fr, i);
      // Connection i starts 200 µs after i-1 and overlaps with ~25 others.
      v.ts_us += int64_t{i} * 200;
      frames.push_back(std::move(v));
    }
  }
  std::stable_sort(frames.begin(), frames.end(),
                   [](const t::Frame& a, const t::Frame& b) { return a.ts_us < b.ts_us; });
  return t::write_pcap(path, frames) ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4) {
    const std::string mode = argv[1];
    const int64_t n = std::atoll(argv[2]);
    const std::string dir = argv[3];
    if (mode == "--bench") return write_bench(static_cast<int>(n), dir + "/bench.pcap");
    if (mode == "--mix") return write_mix(n, dir + "/mix.pcap");
    if (mode == "--scan") return write_scan(n, dir + "/scan.pcap");
  }
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: meter_gen_pcaps DIR | meter_gen_pcaps --bench|--mix|--scan N DIR\n");
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
