// A closed flow record to UNSW-NB15 features (Argus formulas, data-set conventions); see
// README.md for each formula and its source.
#pragma once

#include <string>
#include <vector>

#include "flow/flow_record.h"
#include "meter/flow_state.h"

namespace flowsentry::meter {

// Fills every per-flow feature of `out` (everything but the ct_* window counts).
void make_record(const FlowState& f, flow::FlowRecord& out);

// Argus jitter and mean interpacket time in ms (clients ArgusPrintSrcJitter/IntPkt).
double argus_intpkt_ms(const DirState& d);
double argus_jitter_ms(const DirState& d);

// Argus load of one direction in bits/s: (bytes − ⌊bytes/pkts⌋)·8 / dur; 0 when pkts ≤ 1.
double argus_load_bps(uint64_t bytes, uint64_t pkts, double dur);

// Argus's state name of an ICMP flow from its first packet's type and code ("ECO", "URP").
std::string_view icmp_state(uint8_t type, uint8_t code);

// UNSW-NB15's ct_state_ttl lookup on (state, sttl, dttl).
int ct_state_ttl(std::string_view state, int sttl, int dttl);

std::string format_address(const Address& a, Network n);

// The ct_* counts over the last `window` records (ordered by last time, current included).
class CtWindow {
 public:
  explicit CtWindow(size_t window = 100) : window_(window < 1 ? 1 : window) {}
  void apply(flow::FlowRecord& rec);

 private:
  // Each text field gets an id shared by every equal text in the window, found by comparing
  // hashes first; counting then compares integers, not strings.
  struct Text {
    std::string text;
    size_t hash = 0;
    uint64_t id = 0;
  };
  struct Entry {
    Text srcip, dstip, service;
    int64_t sport = 0, dsport = 0;
  };
  void set_text(Text Entry::*field, std::string_view v, size_t leaving, Entry& e);

  size_t window_;
  std::vector<Entry> ring_;  // the last `window_` records; `next_` is the oldest when full
  size_t next_ = 0;
  uint64_t next_id_ = 0;
};

}  // namespace flowsentry::meter
