// Concept drift on the score stream: ADWIN over every flow's score, one `score_drift` alert per
// detected change with the window means before and after.
#pragma once

#include <span>
#include <vector>

#include "detect/adwin.h"
#include "detect/alert.h"

namespace flowsentry::detect {

class ScoreDriftDetector {
 public:
  explicit ScoreDriftDetector(AdwinOptions options = {}, Clock clock = wall_seconds);

  std::vector<Alert> observe(std::span<const model::ScoredFlow> batch);
  const Adwin& adwin() const { return adwin_; }

 private:
  Adwin adwin_;
  Clock clock_;
};

}  // namespace flowsentry::detect
