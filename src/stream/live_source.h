// LiveCaptureSource: `--data iface:NAME` — packets from a live interface (libpcap), metered into
// flows as they close, as a Source for demo, run, score and the rest. Needs root or
// CAP_NET_RAW; open() says so, or that the interface does not exist. libpcap's counters go to
// /metrics (CaptureStatsProbe) about once a second. Keys are ("iface:NAME", start second, n), so
// a restarted capture never repeats a stored key.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "meter/meter.h"
#include "stream/pcap_reader.h"
#include "stream/source.h"

namespace flowsentry::stream {

class LiveCaptureSource final : public Source {
 public:
  static Result<std::unique_ptr<LiveCaptureSource>> open(const std::string& iface,
                                                         const std::string& bpf = {});
  // Over a reader already open (a capture file in tests: its end is a quiet link).
  static std::unique_ptr<LiveCaptureSource> over(std::unique_ptr<PcapReader> reader,
                                                 const std::string& iface);

  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override;
  // Never ends on its own; after finish_input(), once the flows still open are read.
  bool at_end() const override { return finished_ && ready_.empty() && drained_; }
  // Shutdown: closes every open flow (the meter's end of input), so none is lost.
  bool finish_input() override;
  void take_rejected(std::vector<Rejected>&) override {}
  std::string describe() const override { return "live capture " + reader_->path(); }

 private:
  LiveCaptureSource(std::unique_ptr<PcapReader> reader, const std::string& iface);
  void read_packets(std::chrono::milliseconds wait);

  std::unique_ptr<PcapReader> reader_;
  meter::Meter meter_;
  CaptureStatsProbe probe_;
  meter::MeterCounters published_;  // what /metrics has of the meter's counters
  std::vector<flow::FlowRecord> closed_;
  std::deque<flow::FlowRecord> ready_;
  int64_t run_ = 0;
  int64_t seq_ = 0;
  std::chrono::steady_clock::time_point next_stats_;
  bool finished_ = false;  // finish_input() was called
  bool drained_ = false;   // and the meter has handed over every record
};

}  // namespace flowsentry::stream
