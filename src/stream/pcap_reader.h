// Reads packets from pcap and pcapng files with libpcap and hands them to the flow meter.
// Timestamps are read at microsecond precision whatever the file's own precision.
#pragma once

#include <memory>
#include <string>

#include "common/metrics.h"
#include "common/result.h"
#include "meter/meter.h"
#include "meter/packet.h"

struct pcap;

namespace flowsentry::stream {

class PcapReader {
 public:
  static Result<std::unique_ptr<PcapReader>> open_file(const std::string& path);
  // Live capture on `iface` (promiscuous, packets delivered in batches at least every 100 ms,
  // a kernel buffer of `buffer_mb`) with an optional BPF filter. Without root or CAP_NET_RAW
  // the error says so.
  static Result<std::unique_ptr<PcapReader>> open_live(const std::string& iface,
                                                       const std::string& bpf = {},
                                                       int snaplen = 262144, int buffer_mb = 64);
  ~PcapReader();
  PcapReader(const PcapReader&) = delete;
  PcapReader& operator=(const PcapReader&) = delete;

  // The next packet (valid until the next call); false at the end of the file or when the
  // file is damaged, in which case error() says what (a truncated last record, a corrupt
  // header) and the packets read so far stand.
  bool next(meter::Packet& out);
  // Live reading: kTimeout when no packet came within the read timeout.
  enum class Read { kPacket, kTimeout, kEnd };
  Read read(meter::Packet& out);
  // libpcap's counters for a live capture: received, dropped by the kernel (buffer full),
  // dropped by the interface. False for files.
  struct Stats {
    uint64_t received = 0;
    uint64_t dropped = 0;
    uint64_t if_dropped = 0;
  };
  bool stats(Stats& out) const;
  int linktype() const { return linktype_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return path_; }

 private:
  PcapReader(pcap* handle, std::string path, bool live = false);
  pcap* handle_;
  std::string path_;
  int linktype_;
  bool live_;
  std::string error_;
};

// libpcap's live counters in /metrics: flowsentry_capture_packets_received_total,
// _dropped_kernel_total and _dropped_interface_total, labelled {iface}. publish() adds what
// grew since the last call (libpcap's 32-bit counters may wrap; a smaller value counts as
// a restart from 0).
class CaptureStatsProbe {
 public:
  explicit CaptureStatsProbe(const std::string& iface);
  void publish(const PcapReader::Stats& now);

 private:
  PcapReader::Stats last_;
  Counter* received_;
  Counter* dropped_kernel_;
  Counter* dropped_interface_;
};

// Starts with a pcap or pcapng magic number.
bool looks_like_capture(const std::string& path);

// Feeds every packet of `path` to `meter`. Returns the reader's error text ("" when the file
// was read to its end) or an error when the file cannot be opened at all.
Result<std::string> meter_capture_file(const std::string& path, meter::Meter& meter);

}  // namespace flowsentry::stream
