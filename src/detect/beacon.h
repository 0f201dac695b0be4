// Beaconing (RITA's signal): one source connecting to one destination and port again and again
// at regular intervals. Each new connection's start time is kept (the last kMaxStarts); from
// `beacon_min_connections` on, the intervals are scored: the mean of (1 - |Bowley skew|) and
// (1 - MAD / median), both 1 for a perfect clock. A score >= beacon_min_score alerts. Records
// that continue a connection (same source port as the previous one, as Argus's 60 s status
// records do) are not new connections, nor are connections opened within 1 s of the previous.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "detect/behaviour_evidence.h"
#include "detect/host_table.h"

namespace flowsentry::detect {

struct BeaconState {
  std::vector<double> starts;  // newest last (a vector: a deque's first block is 512 bytes)
  int64_t last_sport = -1;
  uint64_t connections = 0;
  Tally tally;
  bool alerted = false;
  Examples examples;
};

struct BeaconScore {
  double score = 0, skew = 0, madm = 0, median = 0;
  size_t intervals = 0;
};

// Scores the intervals between sorted start times (nullopt-like score 0 with < 3 intervals).
BeaconScore beacon_score(std::vector<double> starts);

class BeaconDetector {
 public:
  explicit BeaconDetector(const BehaviourOptions& options);
  void observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out);
  size_t entries() const { return table_.size(); }
  size_t approx_bytes() const;

 private:
  const BehaviourOptions& opt_;
  std::set<int64_t> ignore_ports_;
  HostTable<BeaconState> table_;
};

}  // namespace flowsentry::detect
