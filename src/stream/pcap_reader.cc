#include "stream/pcap_reader.h"

#include <pcap/pcap.h>

#include <cstring>
#include <fstream>

namespace flowsentry::stream {

PcapReader::PcapReader(pcap* handle, std::string path)
    : handle_(handle), path_(std::move(path)), linktype_(pcap_datalink(handle)) {}

PcapReader::~PcapReader() {
  if (handle_) pcap_close(handle_);
}

Result<std::unique_ptr<PcapReader>> PcapReader::open_file(const std::string& path) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap* h =
      pcap_open_offline_with_tstamp_precision(path.c_str(), PCAP_TSTAMP_PRECISION_MICRO, errbuf);
  if (!h) {
    return make_error(ErrorCode::kParse, std::string("cannot read capture: ") + errbuf, path);
  }
  return std::unique_ptr<PcapReader>(new PcapReader(h, path));
}

bool PcapReader::next(meter::Packet& out) {
  pcap_pkthdr* hdr = nullptr;
  const u_char* data = nullptr;
  int rc = pcap_next_ex(handle_, &hdr, &data);
  if (rc == 1) {
    out.ts_us = int64_t{hdr->ts.tv_sec} * 1'000'000 + hdr->ts.tv_usec;
    out.wirelen = hdr->len;
    out.linktype = linktype_;
    out.bytes = {data, hdr->caplen};
    return true;
  }
  if (rc == PCAP_ERROR) error_ = pcap_geterr(handle_);
  return false;
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

}  // namespace flowsentry::stream
