#include "collect/collector.h"

#include "common/clock.h"

namespace flowsentry::collect {

Collector::Collector(CollectorSettings settings)
    : settings_(settings),
      decoder_(settings.limits),
      pairer_(settings.pairing),
      ct_(settings.ct_window) {}

void Collector::add(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> datagram,
                    int64_t now_us, uint16_t port) {
  decoded_.clear();
  decoder_.decode(exporter, datagram, decoded_, port);
  for (const auto& r : decoded_) pairer_.add(r, now_us, ready_);
  pairer_.expire(now_us, ready_);
  finish_records();
}

void Collector::advance(int64_t now_us) {
  pairer_.expire(now_us, ready_);
  finish_records();
}

void Collector::finish() {
  pairer_.flush(ready_);
  finish_records();
}

void Collector::finish_records() {
  if (ready_.empty()) return;
  const double now = wall_seconds();
  for (const auto& r : ready_) {
    flow::FlowRecord rec;
    if (auto problem = to_flow_record(r, settings_.mapping, now, rec)) {
      rejected_.push_back(std::move(*problem));
      ++rejected_count_;
      continue;
    }
    ct_.apply(rec);
    flows_out_.push_back(std::move(rec));
    ++flows_;
  }
  ready_.clear();
}

void Collector::take(std::vector<flow::FlowRecord>& out,
                     std::vector<flow::FieldProblem>& rejected) {
  for (auto& f : flows_out_) out.push_back(std::move(f));
  flows_out_.clear();
  for (auto& p : rejected_) rejected.push_back(std::move(p));
  rejected_.clear();
}

}  // namespace flowsentry::collect
