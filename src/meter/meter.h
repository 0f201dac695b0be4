// The flow meter: packets in, UNSW-NB15 flow records out, with Argus's flow semantics
// (argus -X -S 60): bidirectional flows, the first packet's sender is the source, a record is
// sent on idle timeout, on TCP port reuse, at the end of input, and every 60 s of activity.
// Single-threaded; a reader hands it packets in capture order.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <queue>
#include <unordered_map>
#include <vector>

#include "flow/flow_record.h"
#include "meter/decode.h"
#include "meter/features.h"
#include "meter/flow_index.h"
#include "meter/flow_state.h"
#include "meter/packet.h"

namespace flowsentry::meter {

struct MeterSettings {
  size_t max_flows = 1'000'000;                // beyond it the oldest idle flow is evicted
  int64_t status_interval_us = 60'000'000;     // argus -S 60
  int64_t tcp_timeout_us = 60'000'000;         // Argus defaults (ArgusModeler.h)
  int64_t tcp_closed_timeout_us = 10'000'000;  // after a FIN/RST close
  int64_t ip_timeout_us = 30'000'000;          // UDP and other IP protocols
  int64_t icmp_timeout_us = 5'000'000;
  int64_t arp_timeout_us = 5'000'000;
  size_t ct_window = 100;
};

struct MeterCounters {
  uint64_t packets = 0;  // every packet handed to add()
  uint64_t metered = 0;  // packets that reached a flow
  std::array<uint64_t, static_cast<size_t>(SkipReason::kCount)> skipped{};
  uint64_t flows = 0;      // flows created
  uint64_t records = 0;    // records released
  uint64_t evictions = 0;  // flows closed early because the table was full
  uint64_t skipped_total() const;
};

class Meter {
 public:
  explicit Meter(MeterSettings settings = {});

  void add(const Packet& p);
  // Moves time forward without a packet (live capture on a quiet link), so idle flows close.
  void advance(int64_t now_us);
  // End of input: closes every flow and releases every record. The records of flows still
  // open are made as take() reaches them, so a full table never turns into a second, larger
  // backlog of records; add() or advance() after finish() makes the rest at once.
  void finish();
  // Appends the records that can no longer change order (ordered by last time, ct_* filled),
  // at most `max` of them, so a caller can write a large backlog in bounded chunks.
  size_t take(std::vector<flow::FlowRecord>& out, size_t max = SIZE_MAX);

  const MeterCounters& counters() const { return counters_; }
  size_t active_flows() const { return index_.size(); }
  // Memory per tracked flow: the flow state plus its share of the hash index.
  static size_t bytes_per_flow();
  // What the table, its index and the records waiting to be released occupy now (bytes).
  size_t memory_bytes() const;

 private:
  // Heap entries stay small; the records wait in `pending_recs_` (moving 700-byte records
  // through heap sifts cost a fifth of the run time).
  struct Pending {
    int64_t ltime_us;
    uint64_t seq;
    uint32_t slot;
  };
  struct PendingLater {
    bool operator()(const Pending& a, const Pending& b) const {
      return a.ltime_us != b.ltime_us ? a.ltime_us > b.ltime_us : a.seq > b.seq;
    }
  };
  static constexpr int kTimeoutClasses = 5;

  void add_decoded(const DecodedPacket& p, int64_t ts, uint32_t wirelen);
  uint32_t find_flow(const FlowKey& k, const FlowKey& rk, bool& from_src) const;
  uint32_t new_flow(const FlowKey& key, int64_t ts);
  void mark_icmp_error(const DecodedPacket& p, int64_t ts);
  void start_record(uint32_t id, int64_t ts);
  void account(FlowState& f, const DecodedPacket& p, bool from_src, int64_t ts, uint32_t wirelen,
               bool in_protocol);
  void send_record(uint32_t id);
  void remove_flow(uint32_t id);
  void detach_flow(uint32_t id);
  void free_flow(uint32_t id);
  void settle_finish();
  size_t take_finishing(std::vector<flow::FlowRecord>& out, size_t max);
  void sweep(int64_t now);
  void release(int64_t now, bool all);
  int64_t timeout_of(const FlowState& f) const;
  int timeout_class(const FlowState& f) const;
  void idle_unlink(uint32_t id);
  void idle_push(uint32_t id);
  void start_unlink(uint32_t id);
  void start_push(uint32_t id);

  MeterSettings settings_;
  MeterCounters counters_;
  FlowSlab flows_;
  std::vector<uint32_t> free_;
  FlowIndex index_;
  std::array<uint32_t, kTimeoutClasses> idle_head_{}, idle_tail_{};
  uint32_t start_head_ = kNoFlow, start_tail_ = kNoFlow;
  std::unordered_map<FlowKey, int64_t, FlowKeyHash> ftp_data_expected_;  // key: dst addr+port
  std::priority_queue<Pending, std::vector<Pending>, PendingLater> pending_;
  std::deque<flow::FlowRecord> pending_recs_;  // a deque: growing never moves records
  std::vector<uint32_t> free_recs_;
  uint64_t pending_seq_ = 0;
  // Released records stay in their slots until taken: no second copy of a large backlog.
  std::deque<uint32_t> ready_;
  // After finish(): the flows that still had an open record, in release order (`slot` is the
  // flow id); take() makes their records, merged with those waiting in `pending_`.
  std::vector<Pending> closing_;
  size_t closing_next_ = 0;
  bool finishing_ = false;
  CtWindow ct_;
  uint64_t seed_;  // of flow_hash: random, so crafted keys cannot all share a probe sequence
  DecodedPacket scratch_;
  int64_t now_us_ = 0;
};

}  // namespace flowsentry::meter
