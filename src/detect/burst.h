// Bursts of anomalies in event time, and the single-flow rule.
//
// Threshold mode: at least `min_hits` anomalies (verdict.label == 1) within the last
// `window_min` minutes. Rate mode, for busy networks: the window's count is at least
// `rate_min_hits` and more than `rate_factor` times the trailing baseline (mean count of the last
// `baseline_windows` whole windows), so a steady background of false positives never alerts.
// One alert per episode: an episode starts when the trigger first holds and ends once the trigger
// has been off for `quiet_min` minutes (event time); only then can a new episode alert.
//
// A burst alert names the hosts behind it when flows carry addresses: the most common source
// and destination, how many hosts and ports they touched ("10.0.0.5 → 6 hosts, 412 ports in
// 60 s"). KeyedBurstDetector runs the same rule per source or per destination host, so one
// scanner is an episode of its own.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "detect/alert.h"
#include "detect/host_table.h"

namespace flowsentry::detect {

// What a burst is counted over: all anomalies, or each source or destination host apart.
enum class BurstKey { kGlobal, kSource, kDestination };
Result<BurstKey> parse_burst_key(std::string_view name);

struct BurstOptions {
  uint64_t min_hits = 10;
  double window_min = 5;
  double quiet_min = -1;  // < 0: same as window_min
  bool rate_mode = false;
  double rate_factor = 3.0;
  uint64_t rate_min_hits = 20;
  int baseline_windows = 12;
  size_t max_examples = 3;
  size_t max_tracked = 1000000;      // hits kept in the window at most (memory bound)
  size_t top_hosts = 5;              // sources, destinations and ports listed in the alert
  BurstKey key = BurstKey::kGlobal;  // KeyedBurstDetector only
  size_t max_keys = 10000;           // KeyedBurstDetector only: hosts tracked at most

  Status validate() const;
};

class BurstDetector {
 public:
  explicit BurstDetector(BurstOptions options, Clock clock = wall_seconds);

  // Feeds a scored batch; returns the burst alerts it raised (at most one per episode).
  std::vector<Alert> observe(std::span<const model::ScoredFlow> batch);
  // One anomaly at event time t.
  std::optional<Alert> hit(const model::ScoredFlow& flow, double t);
  // Moves event time forward without a hit (ends a finished episode, drops old hits).
  void advance(double now);

  uint64_t hits_in_window() const { return hits_.size(); }
  bool in_episode() const { return in_episode_; }
  uint64_t episodes() const { return episodes_; }
  // Mean anomalies per whole window over the trailing baseline; nullopt before one window ends.
  std::optional<double> baseline() const;

 private:
  struct Hit {
    double t;
    double score;
    std::string proto, service, state;
    std::string src, dst;  // empty when the flow has no address
    int64_t port = -1;     // destination port, -1 when unknown
  };
  nlohmann::json host_context(std::string& phrase) const;
  void expire(double now);
  void end_episode_if_quiet(double now);
  void count_baseline(double t);
  bool triggered() const;
  Alert make_alert(double now) const;

  BurstOptions opt_;
  Clock clock_;
  double window_s_;
  double quiet_s_;
  std::deque<Hit> hits_;
  std::map<std::string, uint64_t> proto_, service_, state_;
  std::deque<nlohmann::json> examples_;  // recent anomalies with their event time, newest last
  std::deque<std::pair<int64_t, uint64_t>> buckets_;  // whole-window index -> hits
  bool in_episode_ = false;
  double last_trigger_ = 0;
  uint64_t episodes_ = 0;
};

// The burst rule per host. Each host gets its own window and episodes; its alerts carry the
// host as their context, so cooldowns apply per host. Flows without the keyed address share one
// global detector; with BurstKey::kGlobal it is the plain BurstDetector. At most `max_keys` hosts
// are tracked; the one idle longest is forgotten first, and a host holds at most max(min_hits,
// max_tracked / max_keys) hits.
class KeyedBurstDetector {
 public:
  explicit KeyedBurstDetector(BurstOptions options, Clock clock = wall_seconds);

  std::optional<Alert> hit(const model::ScoredFlow& flow, double t);
  void advance(double now);

  size_t hosts() const { return per_host_.size(); }
  uint64_t evictions() const { return per_host_.evictions(); }

 private:
  BurstOptions opt_;
  BurstOptions host_opt_;
  Clock clock_;
  BurstDetector global_;
  // Engaged on a host's first anomaly; a host idle for a window and a quiet period is over.
  HostTable<std::optional<BurstDetector>> per_host_;
};

struct SingleFlowOptions {
  bool enabled = false;  // floods at line rate; cooldown and rate limits apply downstream
  double threshold = 0.99;
};

// An `anomaly` alert for one flow with score >= threshold, keyed by its proto/service/state.
std::optional<Alert> single_flow_alert(const SingleFlowOptions& options,
                                       const model::ScoredFlow& flow, double event_time);

}  // namespace flowsentry::detect
