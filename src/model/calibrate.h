// Site calibration: the threshold that flags at most a target share of a site's known-good
// flows. The model's validation threshold is tuned on UNSW-NB15's testbed; real networks put
// their normal traffic elsewhere on the score scale, so each site sets its own.
#pragma once

#include <span>

#include "common/result.h"

namespace flowsentry::model {

struct ThresholdChoice {
  double threshold = 0.5;
  double rate = 0;         // share of the scores >= threshold
  bool saturated = false;  // the target needed a threshold above 1: scores of 1 stay flagged
};

// The lowest threshold t with share(score >= t) <= target_rate, never below `floor` (the
// validation threshold: calibration only makes a model stricter). `scores` is reordered.
// kInvalidArgument for an empty sample or a target outside [0, 1).
Result<ThresholdChoice> choose_threshold(std::span<float> scores, double target_rate, double floor);

// Share of scores >= threshold (0 for an empty span).
double flagged_share(std::span<const float> scores, double threshold);

}  // namespace flowsentry::model
