// BiflowPairer: joins the two one-way records of a conversation (A→B and B→A, as NetFlow v5,
// v9 and most IPFIX exporters send them) into one biflow, as Argus and UNSW-NB15 see flows.
// A record waits up to `window` for its reverse; the two pair when their time spans, widened
// by the window, overlap. The record that started first is the source. Unpaired records leave
// one-way after the window. RFC 5103 biflows pass through. Memory is bounded by max_waiting.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <vector>

#include "collect/export_record.h"

namespace flowsentry::collect {

struct PairingSettings {
  int64_t window_us = 5'000'000;  // 0: no pairing, every record leaves as it came
  size_t max_waiting = 200'000;
};

struct PairingCounters {
  uint64_t paired = 0;      // biflows made of two one-way records
  uint64_t one_way = 0;     // records that left without a reverse
  uint64_t biflows_in = 0;  // RFC 5103 biflows passed through
  uint64_t pushed_out = 0;  // left early because max_waiting were waiting
};

class BiflowPairer {
 public:
  explicit BiflowPairer(PairingSettings settings = {}) : settings_(settings) {}

  // `now_us`: arrival time (any monotonic clock), for the window. Appends what is ready.
  void add(const ExportRecord& r, int64_t now_us, std::vector<ExportRecord>& out);
  // Records that waited longer than the window leave one-way.
  void expire(int64_t now_us, std::vector<ExportRecord>& out);
  // Everything waiting leaves (end of input).
  void flush(std::vector<ExportRecord>& out);

  size_t waiting() const { return waiting_.size(); }
  size_t arrivals() const { return arrivals_.size(); }
  const PairingCounters& counters() const { return counters_; }

 private:
  struct Key {
    std::array<uint8_t, 16> src{}, dst{};
    uint16_t sport = 0, dport = 0;
    uint8_t proto = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Waiting {
    ExportRecord rec;
    uint64_t seq = 0;
  };
  static Key key_of(const ExportRecord& r, bool reversed);
  void leave_one_way(ExportRecord r, std::vector<ExportRecord>& out);

  PairingSettings settings_;
  PairingCounters counters_;
  std::unordered_map<Key, Waiting, KeyHash> waiting_;
  std::deque<std::pair<int64_t, std::pair<Key, uint64_t>>> arrivals_;  // (time, (key, seq))
  uint64_t seq_ = 0;
};

}  // namespace flowsentry::collect
