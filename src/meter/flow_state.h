// One bidirectional flow as the meter tracks it, and the record it is building.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "meter/decode.h"
#include "meter/service.h"
#include "meter/tcp_tracker.h"

namespace flowsentry::meter {

// Argus's ArgusTimeStats: interpacket times in µs, summed in float as Argus does.
struct TimeStats {
  uint32_t n = 0;
  float sum = 0;
  int64_t sumsqrd = 0;
  void add(int64_t interval_us) {
    sum += static_cast<float>(interval_us);
    sumsqrd = static_cast<int64_t>(static_cast<double>(sumsqrd) +
                                   static_cast<double>(interval_us) * interval_us);
    ++n;
  }
};

struct DirState {
  uint64_t pkts = 0;
  uint64_t bytes = 0;
  uint8_t ttl = 0;
  int64_t first_us = 0;  // first and last packet of this direction in the record
  int64_t last_us = 0;
  TimeStats act;
  TimeStats idle;
};

// Source-relative key: the source's address and port first.
struct FlowKey {
  Address src{};
  Address dst{};
  uint16_t sport = 0;
  uint16_t dport = 0;
  uint16_t extra = 0;  // ICMP echo sequence number; what an ICMP error quotes
  uint8_t proto = 0;
  Network network = Network::kIpv4;
  // Word compares: the defaulted == calls memcmp per address, a tenth of the run time.
  bool operator==(const FlowKey& o) const;
};

inline bool FlowKey::operator==(const FlowKey& o) const {
  uint64_t a[4], b[4];
  std::memcpy(a, src.data(), 16);
  std::memcpy(a + 2, dst.data(), 16);
  std::memcpy(b, o.src.data(), 16);
  std::memcpy(b + 2, o.dst.data(), 16);
  return ((a[0] ^ b[0]) | (a[1] ^ b[1]) | (a[2] ^ b[2]) | (a[3] ^ b[3])) == 0 && sport == o.sport &&
         dport == o.dport && extra == o.extra && proto == o.proto && network == o.network;
}

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const noexcept;
};

// The same for a key and its reverse (addresses and ports swapped), so the flow index finds a
// packet's flow in either direction with one probe sequence. `seed` is random per meter, so
// crafted traffic cannot aim at one probe sequence (hash flooding).
uint32_t flow_hash(const FlowKey& k, uint64_t seed);

inline constexpr uint32_t kNoFlow = UINT32_MAX;

struct FlowState {
  FlowKey key;
  uint32_t hash = 0;  // flow_hash(key, seed), the index's slot hash
  bool in_use = false;
  bool record_open = false;  // a packet arrived since the last record was sent
  bool first_record = true;  // Argus "cause START": non-TCP one-way flows print INT, later REQ
  int64_t stime_us = 0;      // record start and last packet
  int64_t ltime_us = 0;
  int64_t last_seen_us = 0;  // for idle timeouts, across records
  DirState s;
  DirState d;
  // Argus's per-direction "lasttime" for inter-packet times; kept across status records.
  int64_t s_tick_us = 0;
  int64_t d_tick_us = 0;
  TcpTracker tcp;
  uint8_t icmp_type = 0;  // first packet's type and code (Argus state ECO, ECR, URP, ...)
  uint8_t icmp_code = 0;
  std::array<uint8_t, 6> arp_sha{};
  std::array<uint8_t, 6> arp_tha{};
  ServiceTracker service;
  bool ftp_data = false;
  // Intrusive lists: idle order within the flow's timeout class, and record start order.
  uint8_t timeout_class = 0;
  uint32_t idle_prev = kNoFlow, idle_next = kNoFlow;
  uint32_t start_prev = kNoFlow, start_next = kNoFlow;
};

// Flow states in chunks: growing the table never moves (or copies) a flow, and never needs
// room for two copies of it.
class FlowSlab {
 public:
  FlowState& operator[](uint32_t id) { return chunks_[id >> kShift][id & kMask]; }
  const FlowState& operator[](uint32_t id) const { return chunks_[id >> kShift][id & kMask]; }
  uint32_t size() const { return size_; }
  size_t capacity() const { return chunks_.size() << kShift; }
  // Appends a default flow state; returns its id.
  uint32_t add() {
    if (size_ == capacity()) chunks_.push_back(std::make_unique<FlowState[]>(size_t{1} << kShift));
    return size_++;
  }

 private:
  static constexpr uint32_t kShift = 10;
  static constexpr uint32_t kMask = (1u << kShift) - 1;
  std::vector<std::unique_ptr<FlowState[]>> chunks_;
  uint32_t size_ = 0;
};

}  // namespace flowsentry::meter
