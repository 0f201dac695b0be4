#include "stream/capture_reader.h"

#include <deque>

#include <spdlog/spdlog.h>

#include "meter/meter.h"
#include "meter/probe.h"
#include "stream/pcap_reader.h"

namespace flowsentry::stream {
namespace {

class CaptureFlowReader : public flow::FlowReader {
 public:
  explicit CaptureFlowReader(std::unique_ptr<PcapReader> pcap) : pcap_(std::move(pcap)) {}

  Next next(flow::FlowRecord& rec, flow::FieldProblem&) override {
    while (ready_.empty() && !drained_) fill();
    if (ready_.empty()) return Next::kEnd;
    rec = std::move(ready_.front());
    ready_.pop_front();
    rec.key.source = pcap_->path();
    rec.key.partition = 0;
    rec.key.offset = ++line_;
    return Next::kRecord;
  }
  int64_t line() const override { return line_; }
  bool has_labels() const override { return false; }
  const char* format() const override { return "pcap"; }

 private:
  // Reads up to 4096 packets, then takes up to 4096 records: after the end of the file the
  // meter makes the last flows' records as they are taken, so they are taken in chunks too.
  void fill() {
    meter::Packet p;
    for (int i = 0; i < 4096 && !done_; ++i) {
      if (!pcap_->next(p)) {
        done_ = true;
        if (!pcap_->error().empty()) {
          spdlog::warn("{}: damaged capture, read stopped ({}); the packets before it count",
                       pcap_->path(), pcap_->error());
        }
        meter_.finish();
        meter::publish_metrics({}, meter_.counters());
        report();
        break;
      }
      meter_.add(p);
    }
    batch_.clear();
    if (meter_.take(batch_, 4096) == 0 && done_) drained_ = true;
    for (auto& r : batch_) ready_.push_back(std::move(r));
  }
  void report() const {
    const auto& c = meter_.counters();
    if (c.skipped_total() == 0) return;
    std::string reasons;
    for (size_t i = 1; i < c.skipped.size(); ++i) {
      if (c.skipped[i]) {
        reasons += fmt::format(" {}={}", meter::skip_reason_name(static_cast<meter::SkipReason>(i)),
                               c.skipped[i]);
      }
    }
    spdlog::info("{}: {} of {} packets skipped:{}", pcap_->path(), c.skipped_total(), c.packets,
                 reasons);
  }

  std::unique_ptr<PcapReader> pcap_;
  meter::Meter meter_;
  std::vector<flow::FlowRecord> batch_;
  std::deque<flow::FlowRecord> ready_;
  bool done_ = false;     // the file is read
  bool drained_ = false;  // and every record taken
  int64_t line_ = 0;
};

std::optional<Result<std::unique_ptr<flow::FlowReader>>> open_if_capture(const std::string& path) {
  if (!looks_like_capture(path)) return std::nullopt;
  return open_capture_flows(path);
}

}  // namespace

Result<std::unique_ptr<flow::FlowReader>> open_capture_flows(const std::string& path) {
  auto pcap = PcapReader::open_file(path);
  if (!pcap.ok()) return pcap.error();
  return std::unique_ptr<flow::FlowReader>(new CaptureFlowReader(std::move(pcap.value())));
}

void register_capture_format() {
  flow::add_flow_file_format(&open_if_capture);
}

}  // namespace flowsentry::stream
