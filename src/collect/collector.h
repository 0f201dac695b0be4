// Collector: datagrams in, flow::FlowRecords out — the decoder, biflow pairing, the field
// mapping and the ct_* window in one place, without sockets, so tests, the benchmark, the
// `collect` command and the ipfix:// source share it.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "collect/biflow.h"
#include "collect/decoder.h"
#include "collect/mapping.h"
#include "flow/flow_record.h"
#include "flow/validate.h"
#include "meter/features.h"

namespace flowsentry::collect {

struct CollectorSettings {
  MappingSettings mapping;
  PairingSettings pairing;
  DecoderLimits limits;
  size_t ct_window = 100;  // the ct_* counts look at the last N flows, as the meter does
};

class Collector {
 public:
  explicit Collector(CollectorSettings settings = {});

  // One datagram from `exporter`, received at `now_us` (a monotonic clock, for pairing).
  void add(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> datagram,
           int64_t now_us, uint16_t port = 0);
  // Moves time on without a datagram: one-way records past the pairing window leave.
  void advance(int64_t now_us);
  // End of input: everything waiting leaves.
  void finish();

  // Appends the finished flows (ct_* filled, in the order they finished) and the flows the
  // validation refused (with their problem), and clears both.
  void take(std::vector<flow::FlowRecord>& out, std::vector<flow::FieldProblem>& rejected);

  const DecoderCounters& decoder_counters() const { return decoder_.counters(); }
  const PairingCounters& pairing_counters() const { return pairer_.counters(); }
  size_t templates_active() const { return decoder_.templates_active(); }
  size_t pending_sets() const { return decoder_.pending_sets(); }
  size_t waiting() const { return pairer_.waiting(); }
  uint64_t flows() const { return flows_; }
  uint64_t rejected() const { return rejected_count_; }

 private:
  void finish_records();

  CollectorSettings settings_;
  Decoder decoder_;
  BiflowPairer pairer_;
  meter::CtWindow ct_;
  std::vector<ExportRecord> decoded_, ready_;
  std::vector<flow::FlowRecord> flows_out_;
  std::vector<flow::FieldProblem> rejected_;
  uint64_t flows_ = 0;
  uint64_t rejected_count_ = 0;
};

}  // namespace flowsentry::collect
