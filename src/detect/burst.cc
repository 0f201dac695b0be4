#include "detect/burst.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

namespace flowsentry::detect {

Status BurstOptions::validate() const {
  auto bad = [](std::string what) {
    return make_error(ErrorCode::kInvalidArgument, std::move(what), "alert.burst");
  };
  if (min_hits < 1) return bad("burst_min_hits must be >= 1");
  if (!(window_min > 0)) return bad("burst_window_min must be > 0");
  if (rate_mode && !(rate_factor > 1)) return bad("burst rate factor must be > 1");
  if (baseline_windows < 1) return bad("burst baseline windows must be >= 1");
  if (max_tracked < min_hits) return bad("burst max_tracked must be >= min_hits");
  return {};
}

BurstDetector::BurstDetector(BurstOptions options, Clock clock)
    : opt_(options),
      clock_(std::move(clock)),
      window_s_(options.window_min * 60),
      quiet_s_((options.quiet_min < 0 ? options.window_min : options.quiet_min) * 60) {}

std::vector<Alert> BurstDetector::observe(std::span<const model::ScoredFlow> batch) {
  std::vector<Alert> out;
  for (const auto& f : batch) {
    if (f.verdict.label != 1) continue;
    if (auto a = hit(f, event_time(f, clock_))) out.push_back(std::move(*a));
  }
  return out;
}

void BurstDetector::expire(double now) {
  auto dec = [](std::map<std::string, uint64_t>& m, const std::string& k) {
    auto it = m.find(k);
    if (it != m.end() && --it->second == 0) m.erase(it);
  };
  while (!hits_.empty() &&
         (hits_.front().t <= now - window_s_ || hits_.size() > opt_.max_tracked)) {
    const Hit& h = hits_.front();
    dec(proto_, h.proto);
    dec(service_, h.service);
    dec(state_, h.state);
    hits_.pop_front();
  }
  while (!examples_.empty() && examples_.front()["t"].get<double>() <= now - window_s_) {
    examples_.pop_front();
  }
}

void BurstDetector::count_baseline(double t) {
  const auto idx = static_cast<int64_t>(std::floor(t / window_s_));
  if (buckets_.empty() || idx > buckets_.back().first) {
    // Windows without anomalies count as zero.
    int64_t next = buckets_.empty() ? idx : buckets_.back().first + 1;
    if (idx - next > opt_.baseline_windows) next = idx - opt_.baseline_windows;
    for (; next <= idx; ++next) buckets_.emplace_back(next, 0);
    while (buckets_.size() > static_cast<size_t>(opt_.baseline_windows) + 1) buckets_.pop_front();
  }
  for (auto it = buckets_.rbegin(); it != buckets_.rend(); ++it) {
    if (it->first == idx) {
      ++it->second;
      break;
    }
  }
}

std::optional<double> BurstDetector::baseline() const {
  if (buckets_.size() < 2) return std::nullopt;
  double sum = 0;
  for (size_t i = 0; i + 1 < buckets_.size(); ++i) sum += static_cast<double>(buckets_[i].second);
  return sum / static_cast<double>(buckets_.size() - 1);
}

bool BurstDetector::triggered() const {
  const auto n = static_cast<double>(hits_.size());
  if (!opt_.rate_mode) return hits_.size() >= opt_.min_hits;
  const auto base = baseline();
  return base && hits_.size() >= opt_.rate_min_hits && n > opt_.rate_factor * *base;
}

void BurstDetector::end_episode_if_quiet(double now) {
  if (in_episode_ && now - last_trigger_ >= quiet_s_) in_episode_ = false;
}

void BurstDetector::advance(double now) {
  expire(now);
  if (in_episode_ && triggered()) last_trigger_ = std::max(last_trigger_, now);
  end_episode_if_quiet(now);
}

std::optional<Alert> BurstDetector::hit(const model::ScoredFlow& f, double t) {
  end_episode_if_quiet(t);
  expire(t);
  hits_.push_back({t, f.verdict.score, f.flow.proto, f.flow.service, f.flow.state});
  ++proto_[f.flow.proto];
  ++service_[f.flow.service];
  ++state_[f.flow.state];
  auto ex = flow_example(f);
  ex["t"] = t;
  examples_.push_back(std::move(ex));
  while (examples_.size() > 4 * opt_.max_examples + 4) examples_.pop_front();
  count_baseline(t);
  expire(t);  // max_tracked bound

  if (!triggered()) return std::nullopt;
  last_trigger_ = t;
  if (in_episode_) return std::nullopt;
  in_episode_ = true;
  ++episodes_;
  return make_alert(t);
}

namespace {

std::string most_frequent(const std::map<std::string, uint64_t>& m) {
  const std::pair<const std::string, uint64_t>* best = nullptr;
  for (const auto& kv : m) {
    if (!best || kv.second > best->second) best = &kv;
  }
  return best ? best->first : "";
}

}  // namespace

Alert BurstDetector::make_alert(double now) const {
  double first = now, last = now, score_max = 0;
  for (const auto& h : hits_) {
    first = std::min(first, h.t);
    last = std::max(last, h.t);
    score_max = std::max(score_max, h.score);
  }
  const std::string proto = most_frequent(proto_), service = most_frequent(service_),
                    state = most_frequent(state_);
  std::vector<const nlohmann::json*> ex;
  for (const auto& e : examples_) ex.push_back(&e);
  std::stable_sort(ex.begin(), ex.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
    return (*a)["score"].get<double>() > (*b)["score"].get<double>();
  });
  auto examples = nlohmann::json::array();
  for (size_t i = 0; i < ex.size() && i < opt_.max_examples; ++i) {
    auto e = *ex[i];
    e.erase("t");
    examples.push_back(std::move(e));
  }

  Alert a;
  a.type = "burst";
  a.context = proto + "/" + service + "/" + state;
  a.severity = Severity::kCritical;
  a.time = now;
  a.payload = {{"hits_in_window", hits_.size()},
               {"window_min", opt_.window_min},
               {"threshold", opt_.rate_mode ? opt_.rate_min_hits : opt_.min_hits},
               {"mode", opt_.rate_mode ? "rate" : "count"},
               {"top_context", {{"proto", proto}, {"service", service}, {"state", state}}},
               {"first_seen", iso8601(first)},
               {"last_seen", iso8601(last)},
               {"score_max", score_max},
               {"example_flows", examples}};
  if (opt_.rate_mode) {
    a.payload["baseline_per_window"] = baseline().value_or(0.0);
    a.payload["rate_factor"] = opt_.rate_factor;
  }
  a.summary = fmt::format("{} anomalies in {:g} min, mostly {} (max score {:.3f})", hits_.size(),
                          opt_.window_min, a.context, score_max);
  return a;
}

std::optional<Alert> single_flow_alert(const SingleFlowOptions& options, const model::ScoredFlow& f,
                                       double t) {
  if (!options.enabled || f.verdict.score < options.threshold) return std::nullopt;
  Alert a;
  a.type = "anomaly";
  a.context = flow_context(f.flow);
  a.severity = Severity::kWarning;
  a.time = t;
  a.payload = {{"score", f.verdict.score},
               {"threshold", options.threshold},
               {"attack_cat", f.verdict.attack_cat},
               {"flow", flow_example(f)}};
  a.summary = fmt::format("anomalous {} flow, score {:.3f}{}", a.context, f.verdict.score,
                          f.verdict.attack_cat.empty() ? "" : " (" + f.verdict.attack_cat + ")");
  return a;
}

}  // namespace flowsentry::detect
