// Site calibration: the threshold that flags at most a target share of a site's known-good
// flows. The model's validation threshold is tuned on UNSW-NB15's testbed; real networks put
// their normal traffic elsewhere on the score scale, so each site sets its own.
//
// A sample's flagged share is only an estimate of the rate on the site's future traffic. With
// a confidence level, the threshold lets through only as many sample flows as keep the
// one-sided (Clopper-Pearson) upper bound of the false-positive rate at or under the target:
// on 218 flows and a 1 % target that is none, and the bound is 1.4 %, said so.
#pragma once

#include <cstdint>
#include <span>

#include "common/result.h"

namespace flowsentry::model {

struct ThresholdChoice {
  double threshold = 0.5;
  double rate = 0;           // share of the scores >= threshold
  int64_t allowed = 0;       // sample flows the threshold may leave flagged
  double rate_bound = 0;     // upper confidence bound of the rate (= rate without a confidence)
  int64_t flows_needed = 0;  // sample size at which 0 flagged flows meet the target (0: met)
  bool saturated = false;    // the target needed a threshold above 1: scores of 1 stay flagged
};

// The lowest threshold t, never below `floor` (the validation threshold: calibration only
// makes a model stricter), that leaves at most `allowed` scores >= t, where `allowed` is
// floor(target_rate * n) when confidence is 0, else the largest count whose upper bound at
// `confidence` is <= target_rate. `scores` is reordered. kInvalidArgument for an empty
// sample, a target outside [0, 1) or a confidence outside [0, 1).
Result<ThresholdChoice> choose_threshold(std::span<float> scores, double target_rate, double floor,
                                         double confidence = 0);

// One-sided upper confidence bound of a binomial proportion after k successes in n trials
// (Clopper-Pearson; Wilson's score bound beyond 2,000 successes).
double rate_upper_bound(int64_t k, int64_t n, double confidence);

// Share of scores >= threshold (0 for an empty span).
double flagged_share(std::span<const float> scores, double threshold);

}  // namespace flowsentry::model
