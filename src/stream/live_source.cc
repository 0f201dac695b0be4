#include "stream/live_source.h"

#include "common/clock.h"
#include "meter/probe.h"

namespace flowsentry::stream {

Result<std::unique_ptr<LiveCaptureSource>> LiveCaptureSource::open(const std::string& iface,
                                                                   const std::string& bpf) {
  auto reader = PcapReader::open_live(iface, bpf);
  if (!reader.ok()) return reader.error();
  return std::unique_ptr<LiveCaptureSource>(
      new LiveCaptureSource(std::move(reader.value()), iface));
}

std::unique_ptr<LiveCaptureSource> LiveCaptureSource::over(std::unique_ptr<PcapReader> reader,
                                                           const std::string& iface) {
  return std::unique_ptr<LiveCaptureSource>(new LiveCaptureSource(std::move(reader), iface));
}

LiveCaptureSource::LiveCaptureSource(std::unique_ptr<PcapReader> reader, const std::string& iface)
    : reader_(std::move(reader)),
      probe_(iface),
      run_(static_cast<int64_t>(wall_seconds())),
      next_stats_(std::chrono::steady_clock::now()) {}

// Packets until `wait` passes or a batch of flows closed; a quiet link still ages flows out.
void LiveCaptureSource::read_packets(std::chrono::milliseconds wait) {
  const auto end = std::chrono::steady_clock::now() + wait;
  meter::Packet p;
  do {
    auto r = reader_->read(p);
    if (r == PcapReader::Read::kEnd) break;
    if (r == PcapReader::Read::kPacket) {
      meter_.add(p);
    } else {
      meter_.advance(static_cast<int64_t>(wall_seconds() * 1e6));
    }
    closed_.clear();
    meter_.take(closed_);
    for (auto& f : closed_) ready_.push_back(std::move(f));
  } while (ready_.empty() && std::chrono::steady_clock::now() < end);
  if (std::chrono::steady_clock::now() >= next_stats_) {
    PcapReader::Stats s;
    if (reader_->stats(s)) probe_.publish(s);
    meter::publish_metrics(published_, meter_.counters());
    published_ = meter_.counters();
    next_stats_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  }
}

bool LiveCaptureSource::finish_input() {
  if (finished_) return true;
  finished_ = true;
  meter_.finish();
  meter::publish_metrics(published_, meter_.counters());
  published_ = meter_.counters();
  return true;
}

Result<size_t> LiveCaptureSource::next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                                             std::chrono::milliseconds wait) {
  if (finished_ && ready_.empty()) {
    // The meter makes the last records as they are taken: no more than a batch at a time.
    closed_.clear();
    if (meter_.take(closed_, max) == 0) drained_ = true;
    for (auto& f : closed_) ready_.push_back(std::move(f));
  } else if (ready_.empty()) {
    read_packets(wait);
  }
  size_t n = 0;
  while (n < max && !ready_.empty()) {
    auto& f = ready_.front();
    f.key = {reader_->path(), run_, ++seq_};
    out.push_back(std::move(f));
    ready_.pop_front();
    ++n;
  }
  return n;
}

}  // namespace flowsentry::stream
