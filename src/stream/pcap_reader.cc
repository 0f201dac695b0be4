#include "stream/pcap_reader.h"

#include <pcap/pcap.h>
#include <poll.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace flowsentry::stream {
namespace {

constexpr size_t kFileBufferBytes = 1 << 20;

}  // namespace

PcapReader::PcapReader(pcap* handle, std::string path, bool live)
    : handle_(handle), path_(std::move(path)), linktype_(pcap_datalink(handle)), live_(live) {}

PcapReader::~PcapReader() {
  if (handle_) pcap_close(handle_);
}

Result<std::unique_ptr<PcapReader>> PcapReader::open_file(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    return make_error(ErrorCode::kParse,
                      std::string("cannot read capture: ") + path + ": " + std::strerror(errno),
                      path);
  }
  // libpcap reads with fread per record: stdio's default 4 KB buffer made a read() system
  // call every few packets (a tenth of capture's time on large files).
  std::setvbuf(f, nullptr, _IOFBF, kFileBufferBytes);
  pcap* h = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (!h) {
    std::fclose(f);
    return make_error(ErrorCode::kParse, std::string("cannot read capture: ") + errbuf, path);
  }
  return std::unique_ptr<PcapReader>(new PcapReader(h, path));
}

Result<std::unique_ptr<PcapReader>> PcapReader::open_live(const std::string& iface,
                                                          const std::string& bpf, int snaplen,
                                                          int buffer_mb) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* h = pcap_create(iface.c_str(), errbuf);
  if (!h) return make_error(ErrorCode::kIo, std::string("cannot capture: ") + errbuf, iface);
  pcap_set_snaplen(h, snaplen);
  pcap_set_promisc(h, 1);
  pcap_set_timeout(h, 100);
  // Batched delivery (a ring block at a time, or after 100 ms): immediate mode wakes the
  // reader per packet and drops packets at 100 k packets/s on loopback.
  pcap_set_immediate_mode(h, 0);
  pcap_set_buffer_size(h, buffer_mb << 20);
  const int rc = pcap_activate(h);
  if (rc < 0) {
    std::string why = pcap_geterr(h);
    pcap_close(h);
    if (rc == PCAP_ERROR_PERM_DENIED) {
      return make_error(ErrorCode::kIo,
                        "permission denied: live capture needs root or the CAP_NET_RAW and "
                        "CAP_NET_ADMIN capabilities (sudo setcap cap_net_raw,cap_net_admin=eip "
                        "build/flowsentry)",
                        iface);
    }
    if (rc == PCAP_ERROR_NO_SUCH_DEVICE) {
      return make_error(ErrorCode::kNotFound, "no such interface (ip link lists them)", iface);
    }
    return make_error(ErrorCode::kIo, "cannot capture: " + why, iface);
  }
  if (!bpf.empty()) {
    bpf_program prog;
    if (pcap_compile(h, &prog, bpf.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0 ||
        pcap_setfilter(h, &prog) != 0) {
      std::string why = pcap_geterr(h);
      pcap_close(h);
      return make_error(ErrorCode::kParse, "bad BPF filter '" + bpf + "': " + why, iface);
    }
    pcap_freecode(&prog);
  }
  // Non-blocking reads behind poll(): a quiet link must not block the caller past 100 ms.
  if (pcap_setnonblock(h, 1, errbuf) != 0) {
    pcap_close(h);
    return make_error(ErrorCode::kIo, std::string("cannot capture: ") + errbuf, iface);
  }
  return std::unique_ptr<PcapReader>(new PcapReader(h, "iface:" + iface, true));
}

PcapReader::Read PcapReader::read(meter::Packet& out) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 0 && live_) {
    pollfd fd{pcap_get_selectable_fd(handle_), POLLIN, 0};
    if (fd.fd >= 0 && poll(&fd, 1, 100) > 0) rc = pcap_next_ex(handle_, &hdr, &data);
  }
  if (rc == 1) {
    out.ts_us = int64_t{hdr->ts.tv_sec} * 1'000'000 + hdr->ts.tv_usec;
    out.wirelen = hdr->len;
    out.linktype = linktype_;
    out.bytes = {data, hdr->caplen};
    return Read::kPacket;
  }
  if (rc == 0) return Read::kTimeout;
  if (rc == PCAP_ERROR) error_ = pcap_geterr(handle_);
  return Read::kEnd;
}

bool PcapReader::next(meter::Packet& out) {
  Read r;
  while ((r = read(out)) == Read::kTimeout) {
  }
  return r == Read::kPacket;
}

bool PcapReader::stats(Stats& out) const {
  if (!live_) return false;
  pcap_stat st{};
  if (pcap_stats(handle_, &st) != 0) return false;
  out.received = st.ps_recv;
  out.dropped = st.ps_drop;
  out.if_dropped = st.ps_ifdrop;
  return true;
}

bool looks_like_capture(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char m[4] = {};
  if (!in.read(reinterpret_cast<char*>(m), 4)) return false;
  uint32_t le = m[0] | (m[1] << 8) | (m[2] << 16) | (uint32_t{m[3]} << 24);
  switch (le) {
    case 0xa1b2c3d4:  // pcap, µs
    case 0xd4c3b2a1:
    case 0xa1b23c4d:  // pcap, ns
    case 0x4d3cb2a1:
    case 0x0a0d0d0a:  // pcapng section header
      return true;
    default:
      return false;
  }
}

Result<std::string> meter_capture_file(const std::string& path, meter::Meter& meter) {
  auto reader = PcapReader::open_file(path);
  if (!reader.ok()) return reader.error();
  meter::Packet p;
  while (reader.value()->next(p)) meter.add(p);
  return reader.value()->error();
}

CaptureStatsProbe::CaptureStatsProbe(const std::string& iface) {
  auto& reg = MetricsRegistry::global();
  const Labels labels{{"iface", iface}};
  received_ = &reg.counter("flowsentry_capture_packets_received_total",
                           "Packets libpcap received on a live interface", labels);
  dropped_kernel_ =
      &reg.counter("flowsentry_capture_packets_dropped_kernel_total",
                   "Packets the kernel dropped because the capture buffer was full", labels);
  dropped_interface_ = &reg.counter("flowsentry_capture_packets_dropped_interface_total",
                                    "Packets the network interface or its driver dropped", labels);
}

void CaptureStatsProbe::publish(const PcapReader::Stats& now) {
  auto grow = [](Counter* c, uint64_t before, uint64_t after) {
    c->inc(static_cast<double>(after >= before ? after - before : after));
  };
  grow(received_, last_.received, now.received);
  grow(dropped_kernel_, last_.dropped, now.dropped);
  grow(dropped_interface_, last_.if_dropped, now.if_dropped);
  last_ = now;
}

}  // namespace flowsentry::stream
