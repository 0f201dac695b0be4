#include "detect/score_drift.h"

#include <fmt/format.h>

namespace flowsentry::detect {

ScoreDriftDetector::ScoreDriftDetector(AdwinOptions options, Clock clock)
    : adwin_(options), clock_(std::move(clock)) {}

std::vector<Alert> ScoreDriftDetector::observe(std::span<const model::ScoredFlow> batch) {
  std::vector<Alert> out;
  for (const auto& f : batch) {
    if (!adwin_.update(f.verdict.score)) continue;
    const AdwinChange& c = *adwin_.last_change();
    Alert a;
    a.type = "score_drift";
    a.context = c.mean_after > c.mean_before ? "up" : "down";
    a.severity = Severity::kWarning;
    a.time = event_time(f, clock_);
    a.summary = fmt::format("mean anomaly score moved {} from {:.4f} to {:.4f} (ADWIN, delta {:g})",
                            a.context, c.mean_before, c.mean_after, adwin_.options().delta);
    a.payload = {{"mean_before", c.mean_before},   {"mean_after", c.mean_after},
                 {"width_before", c.width_before}, {"width_after", c.width_after},
                 {"input_index", c.index},         {"delta", adwin_.options().delta},
                 {"clock", adwin_.options().clock}};
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace flowsentry::detect
