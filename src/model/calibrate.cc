#include "model/calibrate.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

namespace flowsentry::model {

Result<ThresholdChoice> choose_threshold(std::span<float> scores, double target_rate,
                                         double floor) {
  if (scores.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "the calibration sample has no flows");
  }
  if (!(target_rate >= 0 && target_rate < 1)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("target rate {} is not in [0, 1)", target_rate));
  }
  // At most `allowed` scores may reach the threshold: it sits just above the (allowed+1)-th
  // largest score, so ties at that score are all left below it.
  const auto allowed =
      static_cast<size_t>(std::floor(target_rate * static_cast<double>(scores.size())));
  ThresholdChoice c;
  if (allowed >= scores.size()) {
    c.threshold = floor;
  } else {
    auto nth = scores.begin() + static_cast<std::ptrdiff_t>(allowed);
    std::nth_element(scores.begin(), nth, scores.end(), std::greater<float>());
    const double above = std::nextafter(static_cast<double>(*nth), 2.0);
    c.threshold = std::max(floor, std::min(above, 1.0));
    c.saturated = above > 1;  // scores of exactly 1 stay flagged
  }
  c.rate = flagged_share(scores, c.threshold);
  return c;
}

double flagged_share(std::span<const float> scores, double threshold) {
  if (scores.empty()) return 0;
  const auto n = std::count_if(scores.begin(), scores.end(),
                               [&](float s) { return static_cast<double>(s) >= threshold; });
  return static_cast<double>(n) / static_cast<double>(scores.size());
}

}  // namespace flowsentry::model
