// ADWIN2 (Bifet & Gavaldà, "Learning from Time-Changing Data with Adaptive Windowing", SDM 2007):
// an adaptive window over a numeric stream, kept as an exponential histogram of buckets, that
// drops its older part whenever the means of two sub-windows differ by more than a Hoeffding-style
// bound at confidence `delta`. Memory is O(max_buckets * log W).
//
// The cut test, bucket bookkeeping and reset behaviour follow River's ADWIN (river 0.26,
// rust_src/adwin.rs) operation for operation, so both raise the same alarms on the same numbers
// (bit-for-bit); tests/adwin_test.cc checks that against golden data from scripts/river_golden.py.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "common/result.h"

namespace flowsentry::detect {

struct AdwinOptions {
  double delta = 0.002;         // confidence: smaller means fewer, surer alarms
  int clock = 32;               // test for change every `clock` inputs
  int max_buckets = 5;          // buckets of one size kept before two are merged (M in the paper)
  int min_window = 10;          // no test until the window holds more than this many inputs
                                // (River: grace_period)
  int min_subwindow = 5;        // both sides of a cut hold at least this many inputs
                                // (River: min_window_length)
  bool reset_on_change = true;  // River: the input after a change starts an empty window.
                                // false: keep the newer sub-window, as in the paper.

  Status validate() const;
};

// One detected change: the window's older part was dropped.
struct AdwinChange {
  uint64_t index = 0;         // 0-based position of the input that raised it
  double mean_before = 0;     // mean of the dropped (older) inputs
  double mean_after = 0;      // mean of the window that remains
  uint64_t width_before = 0;  // window width before the cut
  uint64_t width_after = 0;   // ... and after
};

class Adwin {
 public:
  explicit Adwin(AdwinOptions options = {});

  // Adds one input; true when it raised a change (then last_change() describes it).
  bool update(double value);

  uint64_t width() const { return static_cast<uint64_t>(width_); }
  double mean() const { return width_ > 0 ? total_ / width_ : 0.0; }
  // Population variance of the window.
  double variance() const { return width_ > 0 ? m2_ / width_ : 0.0; }
  // Sum of squared deviations from the mean (River's `ADWIN.variance`).
  double sum_squares() const { return m2_; }
  double total() const { return total_; }

  uint64_t inputs() const { return inputs_; }
  uint64_t detections() const { return detections_; }
  const std::optional<AdwinChange>& last_change() const { return last_change_; }

  size_t bucket_rows() const { return counts_.size(); }
  size_t bucket_count() const;
  // Bytes held by this object and its buckets.
  size_t memory_bytes() const;

  const AdwinOptions& options() const { return opt_; }
  void reset();

 private:
  void insert(double value);
  void compress();
  double delete_oldest();
  bool detect();
  double* totals(size_t row) { return totals_.data() + row * stride_; }
  double* vars(size_t row) { return vars_.data() + row * stride_; }
  void add_row();
  void push(size_t row, double total, double var);
  void drop_front(size_t row, int n);

  AdwinOptions opt_;
  size_t stride_;  // max_buckets + 1 slots per row
  // Row r holds buckets of 2^r inputs, oldest first. Row 0 is the newest, smallest.
  std::vector<double> totals_;
  std::vector<double> vars_;
  std::vector<int> counts_;
  double total_ = 0;
  double m2_ = 0;
  double width_ = 0;
  uint64_t tick_ = 0;
  uint64_t inputs_ = 0;
  uint64_t detections_ = 0;
  bool pending_reset_ = false;
  std::optional<AdwinChange> last_change_;
};

}  // namespace flowsentry::detect
