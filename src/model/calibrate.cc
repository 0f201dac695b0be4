#include "model/calibrate.h"

#include <algorithm>
#include <cmath>
#include <functional>

#include <fmt/format.h>

namespace flowsentry::model {
namespace {

// P(X <= k) for X ~ Binomial(n, p), summed in log space.
double binomial_cdf(int64_t k, int64_t n, double p) {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  const double lp = std::log(p), lq = std::log1p(-p);
  const double ln_n = std::lgamma(static_cast<double>(n) + 1);
  double sum = 0;
  for (int64_t i = 0; i <= k; ++i) {
    const auto di = static_cast<double>(i), dn = static_cast<double>(n);
    sum +=
        std::exp(ln_n - std::lgamma(di + 1) - std::lgamma(dn - di + 1) + di * lp + (dn - di) * lq);
  }
  return std::min(sum, 1.0);
}

// z with P(Z > z) = 1 - confidence, by bisection on erfc.
double normal_quantile(double confidence) {
  double lo = 0, hi = 10;
  for (int i = 0; i < 100; ++i) {
    const double mid = (lo + hi) / 2;
    (0.5 * std::erfc(mid / std::sqrt(2.0)) > 1 - confidence ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

}  // namespace

double rate_upper_bound(int64_t k, int64_t n, double confidence) {
  if (n <= 0 || k >= n) return 1;
  const double alpha = 1 - confidence;
  if (k > 2000) {  // Wilson's score bound: the exact sum would cost k terms per step
    const double z = normal_quantile(confidence), dn = static_cast<double>(n);
    const double p = static_cast<double>(k) / dn, z2n = z * z / dn;
    return std::min(1.0,
                    (p + z2n / 2 + z * std::sqrt(p * (1 - p) / dn + z2n / (4 * dn))) / (1 + z2n));
  }
  double lo = static_cast<double>(k) / static_cast<double>(n), hi = 1;
  for (int i = 0; i < 60; ++i) {  // the cdf falls as p grows
    const double mid = (lo + hi) / 2;
    (binomial_cdf(k, n, mid) > alpha ? lo : hi) = mid;
  }
  return hi;
}

Result<ThresholdChoice> choose_threshold(std::span<float> scores, double target_rate, double floor,
                                         double confidence) {
  if (scores.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "the calibration sample has no flows");
  }
  if (!(target_rate >= 0 && target_rate < 1)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("target rate {} is not in [0, 1)", target_rate));
  }
  if (!(confidence >= 0 && confidence < 1)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("confidence {} is not in [0, 1)", confidence));
  }
  const auto n = static_cast<int64_t>(scores.size());
  ThresholdChoice c;
  c.allowed = static_cast<int64_t>(std::floor(target_rate * static_cast<double>(n)));
  if (confidence > 0) {
    // The bound grows with k: the largest k still under the target, found by bisection.
    int64_t lo = -1, hi = c.allowed;
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo + 1) / 2;
      if (rate_upper_bound(mid, n, confidence) <= target_rate) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    c.allowed = std::max<int64_t>(lo, 0);
    if (lo < 0 && target_rate > 0) {  // even none flagged does not prove the target
      c.flows_needed =
          static_cast<int64_t>(std::ceil(std::log(1 - confidence) / std::log1p(-target_rate)));
    }
  }
  // At most `allowed` scores may reach the threshold: it sits just above the (allowed+1)-th
  // largest score, so ties at that score are all left below it.
  if (c.allowed >= n) {
    c.threshold = floor;
  } else {
    auto nth = scores.begin() + static_cast<std::ptrdiff_t>(c.allowed);
    std::nth_element(scores.begin(), nth, scores.end(), std::greater<float>());
    const double above = std::nextafter(static_cast<double>(*nth), 2.0);
    c.threshold = std::max(floor, std::min(above, 1.0));
    c.saturated = above > 1;  // scores of exactly 1 stay flagged
  }
  c.rate = flagged_share(scores, c.threshold);
  const auto flagged = static_cast<int64_t>(std::llround(c.rate * static_cast<double>(n)));
  c.rate_bound = confidence > 0 ? rate_upper_bound(flagged, n, confidence) : c.rate;
  return c;
}

double flagged_share(std::span<const float> scores, double threshold) {
  if (scores.empty()) return 0;
  const auto n = std::count_if(scores.begin(), scores.end(),
                               [&](float s) { return static_cast<double>(s) >= threshold; });
  return static_cast<double>(n) / static_cast<double>(scores.size());
}

}  // namespace flowsentry::model
