#include "detect/mix_drift.h"

#include <algorithm>

#include <fmt/format.h>

namespace flowsentry::detect {

Status MixDriftOptions::validate() const {
  auto bad = [](std::string what) {
    return make_error(ErrorCode::kInvalidArgument, std::move(what), "detect.mix");
  };
  if (window_flows == 0 && window_seconds <= 0) {
    return bad("set mix_window_flows or mix_window_seconds above 0, or windows never close");
  }
  if (window_seconds < 0) return bad("mix_window_seconds must be >= 0");
  if (debounce < 1) return bad("mix_debounce must be >= 1");
  if (threshold < 0) return bad("mix threshold must be >= 0");
  if (smoothing < 0) return bad("mix smoothing must be >= 0");
  return {};
}

MixDriftDetector::MixDriftDetector(MixDriftOptions options, MixReference reference, Clock clock)
    : opt_(options), reference_(std::move(reference)), clock_(std::move(clock)) {}

std::vector<MixWindow> MixDriftDetector::observe(std::span<const model::ScoredFlow> batch) {
  std::vector<MixWindow> closed;
  for (const auto& f : batch) observe(f.flow, event_time(f, clock_), closed);
  return closed;
}

void MixDriftDetector::observe(const flow::FlowRecord& flow, double t,
                               std::vector<MixWindow>& closed) {
  if (flows_ > 0 && opt_.window_seconds > 0 && t >= start_ + opt_.window_seconds) {
    closed.push_back(close_window());
  }
  if (flows_ == 0) start_ = t;
  last_ = std::max(last_, t);
  ++counts_[0][flow.proto];
  ++counts_[1][flow.state];
  ++counts_[2][flow.service];
  ++flows_;
  if (opt_.window_flows > 0 && flows_ >= opt_.window_flows) closed.push_back(close_window());
}

std::vector<MixWindow> MixDriftDetector::advance(double now) {
  std::vector<MixWindow> closed;
  if (flows_ > 0 && opt_.window_seconds > 0 && now >= start_ + opt_.window_seconds) {
    closed.push_back(close_window());
  }
  return closed;
}

void MixDriftDetector::judge(const std::string& field, const std::string& baseline,
                             const CategoryCounts& now, const CategoryCounts& base, MixWindow& w) {
  const auto c = compare(now, base, opt_.measure, opt_.smoothing, opt_.top_k);
  MixMeasurement m{field, baseline, c.value, c.value > opt_.threshold, 0};
  int& run = consecutive_[field + ":" + baseline];
  run = m.over ? run + 1 : 0;
  m.consecutive = run;
  w.measurements.push_back(m);
  if (run != opt_.debounce) return;  // alert once, when the run reaches the debounce length

  Alert a;
  a.type = "mix_drift";
  a.context = field + ":" + baseline;
  a.severity = Severity::kWarning;
  a.time = w.end;
  std::string names;
  auto top = nlohmann::json::array();
  for (const auto& s : c.top) {
    top.push_back({{"category", s.category},
                   {"share", s.share},
                   {"baseline_share", s.baseline_share},
                   {"contribution", s.contribution}});
    names += fmt::format("{}{} {:.1f}% (was {:.1f}%)", names.empty() ? "" : ", ", s.category,
                         100 * s.share, 100 * s.baseline_share);
  }
  a.summary = fmt::format("{} mix drifted from the {} ({} {:.4f} > {:.4f} for {} windows): {}",
                          field, baseline == "reference" ? "training reference" : "previous window",
                          measure_name(opt_.measure), c.value, opt_.threshold, run, names);
  a.payload = {{"field", field},
               {"baseline", baseline},
               {"measure", measure_name(opt_.measure)},
               {"value", c.value},
               {"threshold", opt_.threshold},
               {"windows", run},
               {"window_flows", w.flows},
               {"window_start", iso8601(w.start)},
               {"window_end", iso8601(w.end)},
               {"top_categories", top}};
  w.alerts.push_back(std::move(a));
}

MixWindow MixDriftDetector::close_window() {
  MixWindow w;
  w.start = start_;
  w.end = last_;
  w.flows = flows_;
  w.judged = flows_ >= opt_.min_count;
  if (w.judged) {
    for (size_t i = 0; i < kMixFields.size(); ++i) {
      const std::string field = kMixFields[i];
      auto ref = reference_.find(field);
      const bool has_ref = ref != reference_.end() && !ref->second.empty();
      if (has_ref) judge(field, "reference", counts_[i], ref->second, w);
      if (opt_.compare_previous && has_previous_) {
        judge(field, "previous", counts_[i], previous_[i], w);
      }
      if (!has_ref) continue;
      std::vector<std::pair<std::string, double>> fresh;
      const auto known = known_.find(field);
      for (const auto& [cat, n] : counts_[i]) {
        if (ref->second.contains(cat) || reported_new_.contains(field + ":" + cat)) continue;
        if (known != known_.end() && known->second.contains(cat)) continue;
        if (reported_new_.size() >= kMaxReportedNew) {
          ++unreported_new_;
          continue;
        }
        reported_new_.insert(field + ":" + cat);
        fresh.emplace_back(cat, n);
      }
      if (fresh.empty()) continue;
      std::sort(fresh.begin(), fresh.end(), [](auto& a, auto& b) { return a.second > b.second; });
      Alert a;
      a.type = "new_category";
      a.severity = Severity::kInfo;
      a.time = w.end;
      // One alert names the most frequent kNamedNew values; the rest are counted.
      constexpr size_t kNamedNew = 20;
      std::string list;
      auto cats = nlohmann::json::array();
      for (size_t k = 0; k < fresh.size() && k < kNamedNew; ++k) {
        const auto& [cat, n] = fresh[k];
        list += (list.empty() ? "" : ",") + cat;
        cats.push_back({{"category", cat}, {"count", n}, {"share", n / double(flows_)}});
      }
      const size_t more = fresh.size() - cats.size();
      a.context = field + ":" + list;
      a.summary = fmt::format("{} value(s) never seen in training: {}{} ({} flows in window)",
                              field, list, more ? fmt::format(" and {} more", more) : "", flows_);
      a.payload = {{"field", field},
                   {"categories", cats},
                   {"more_categories", more},
                   {"window_flows", w.flows},
                   {"window_start", iso8601(w.start)},
                   {"window_end", iso8601(w.end)}};
      w.alerts.push_back(std::move(a));
    }
    previous_ = counts_;
    has_previous_ = true;
  }
  for (auto& c : counts_) c.clear();
  flows_ = 0;
  last_ = 0;
  return w;
}

}  // namespace flowsentry::detect
