// Drift in the traffic mix: counts of proto, state and service per window (by flow count and/or
// event time), compared with the model's reference distribution and with the previous window.
// Sane alarms: a window with fewer than min_count flows gets no verdict (and leaves the debounce
// count as it was); drift is raised only after `debounce` consecutive windows over the threshold
// (once per run of such windows); new categories absent from the reference vocabulary are a
// separate alert, once per category.
#pragma once

#include <array>
#include <map>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "detect/alert.h"
#include "detect/divergence.h"

namespace flowsentry::detect {

struct MixDriftOptions {
  uint64_t window_flows = 5000;  // close a window after this many flows (0 = no count limit)
  double window_seconds = 60;    // ... or when event time passes start + this (0 = no limit)
  uint64_t min_count = 500;      // no verdict on smaller windows
  int debounce = 3;              // consecutive windows over threshold before an alert
  Measure measure = Measure::kJs;
  double threshold = 0.05;  // in the measure's unit (nats for JS/KL/PSI)
  double smoothing = 0.5;   // additive smoothing of counts for KL and PSI
  size_t top_k = 3;         // categories named in an alert
  bool compare_previous = true;

  Status validate() const;
};

// "proto" / "state" / "service" -> category -> count (or share; only proportions matter).
using MixReference = std::map<std::string, CategoryCounts, std::less<>>;

// "proto" / "state" / "service" -> every value seen in training, rare ones included (the
// reference folds those into "other"). A value is new only when it was never seen.
using MixVocabulary = std::map<std::string, std::set<std::string, std::less<>>, std::less<>>;

inline constexpr std::array<const char*, 3> kMixFields{"proto", "state", "service"};

struct MixMeasurement {
  std::string field;     // proto, state, service
  std::string baseline;  // "reference" or "previous"
  double value = 0;
  bool over = false;
  int consecutive = 0;  // windows in a row over the threshold, this one included
};

struct MixWindow {
  double start = 0, end = 0;  // event time of the first and last flow
  uint64_t flows = 0;
  bool judged = false;  // false: fewer than min_count flows
  std::vector<MixMeasurement> measurements;
  std::vector<Alert> alerts;  // "mix_drift" and "new_category"
};

class MixDriftDetector {
 public:
  explicit MixDriftDetector(MixDriftOptions options, MixReference reference = {},
                            Clock clock = wall_seconds);

  // Adds flows (event time = stime, else the clock); returns the windows they closed.
  std::vector<MixWindow> observe(std::span<const model::ScoredFlow> batch);
  void observe(const flow::FlowRecord& flow, double event_time, std::vector<MixWindow>& closed);
  // Closes the open time window when `now` is past its end (a quiet stream).
  std::vector<MixWindow> advance(double now);
  // Values seen in training beyond the reference's categories: never reported as new.
  void set_known(MixVocabulary known) { known_ = std::move(known); }

  // new_category alerts name at most this many values in all; later ones are counted only,
  // so hostile traffic inventing categories cannot grow memory or the alert stream.
  static constexpr size_t kMaxReportedNew = 10000;
  uint64_t unreported_new() const { return unreported_new_; }

  uint64_t open_flows() const { return flows_; }
  const MixDriftOptions& options() const { return opt_; }

 private:
  MixWindow close_window();
  void judge(const std::string& field, const std::string& baseline, const CategoryCounts& now,
             const CategoryCounts& base, MixWindow& w);

  MixDriftOptions opt_;
  MixReference reference_;
  Clock clock_;
  std::array<CategoryCounts, 3> counts_;
  std::array<CategoryCounts, 3> previous_;
  bool has_previous_ = false;
  uint64_t flows_ = 0;
  double start_ = 0, last_ = 0;
  std::map<std::string, int> consecutive_;  // "field:baseline" -> windows over in a row
  std::set<std::string> reported_new_;      // "field:category" already alerted
  MixVocabulary known_;
  uint64_t unreported_new_ = 0;
};

}  // namespace flowsentry::detect
