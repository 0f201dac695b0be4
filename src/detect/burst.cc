#include "detect/burst.h"

#include <algorithm>
#include <cmath>
#include <set>

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
  if (max_keys < 1) return bad("burst_max_hosts must be >= 1");
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
  hits_.push_back({t, f.verdict.score, f.flow.proto, f.flow.service, f.flow.state,
                   f.flow.srcip.value_or(""), f.flow.dstip.value_or(""),
                   f.flow.dsport.value_or(-1)});
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

template <typename K>
nlohmann::json top_counts(const std::map<K, uint64_t>& m, size_t n, const char* name) {
  std::vector<std::pair<K, uint64_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  auto out = nlohmann::json::array();
  for (size_t i = 0; i < v.size() && i < n; ++i)
    out.push_back({{name, v[i].first}, {"hits", v[i].second}});
  return out;
}

std::string count_phrase(size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

}  // namespace

// Who is behind the hits: the top sources, destinations and ports, and a phrase such as
// "10.0.0.5 → 6 hosts, 412 ports". Null when no hit has addresses (UNSW-NB15 rows).
nlohmann::json BurstDetector::host_context(std::string& phrase) const {
  std::map<std::string, uint64_t> src, dst;
  std::map<int64_t, uint64_t> ports;
  for (const auto& h : hits_) {
    if (h.src.empty()) continue;
    ++src[h.src];
    if (!h.dst.empty()) ++dst[h.dst];
    if (h.port >= 0) ++ports[h.port];
  }
  if (src.empty()) return nullptr;
  const std::string top_src = most_frequent(src);
  uint64_t with_address = 0;
  for (const auto& kv : src) with_address += kv.second;
  // One source behind most hits reads as one actor; count what that source touched.
  const bool one_actor = 2 * src[top_src] >= with_address;
  std::set<std::string> dsts;
  std::set<int64_t> dports;
  for (const auto& h : hits_) {
    if (h.src.empty() || (one_actor && h.src != top_src)) continue;
    if (!h.dst.empty()) dsts.insert(h.dst);
    if (h.port >= 0) dports.insert(h.port);
  }
  const std::string who = one_actor ? top_src : count_phrase(src.size(), "source", "sources");
  const std::string whom =
      dsts.size() == 1 ? *dsts.begin() : count_phrase(dsts.size(), "host", "hosts");
  phrase = fmt::format("{} → {}", who, whom);
  if (dports.size() == 1) {
    phrase += fmt::format(", port {}", *dports.begin());
  } else if (!dports.empty()) {
    phrase += ", " + count_phrase(dports.size(), "port", "ports");
  }
  nlohmann::json hosts = nlohmann::json::object();
  if (one_actor) hosts["src"] = top_src;
  if (dsts.size() == 1) hosts["dst"] = *dsts.begin();
  return {{"hosts", hosts},
          {"sources", src.size()},
          {"destinations", dst.size()},
          {"ports", ports.size()},
          {"top_sources", top_counts(src, opt_.top_hosts, "ip")},
          {"top_destinations", top_counts(dst, opt_.top_hosts, "ip")},
          {"top_ports", top_counts(ports, opt_.top_hosts, "port")}};
}

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
  std::string phrase;
  auto hosts = host_context(phrase);
  if (hosts.is_null()) {
    a.summary = fmt::format("{} anomalies in {:g} min, mostly {} (max score {:.3f})", hits_.size(),
                            opt_.window_min, a.context, score_max);
    return a;
  }
  a.payload.update(hosts);
  a.summary = fmt::format("{} in {:.0f} s: {} anomalies, mostly {} (max score {:.3f})", phrase,
                          last - first, hits_.size(), a.context, score_max);
  return a;
}

Result<BurstKey> parse_burst_key(std::string_view name) {
  if (name == "global") return BurstKey::kGlobal;
  if (name == "source") return BurstKey::kSource;
  if (name == "destination") return BurstKey::kDestination;
  return make_error(ErrorCode::kInvalidArgument,
                    "'" + std::string(name) + "' is not global, source or destination",
                    "alert.burst_key");
}

namespace {

BurstOptions per_host_options(BurstOptions o, size_t max_keys) {
  const size_t floor = std::max<size_t>(o.min_hits, o.rate_mode ? o.rate_min_hits : 1);
  o.max_tracked = std::max(floor, o.max_tracked / std::max<size_t>(max_keys, 1));
  return o;
}

}  // namespace

namespace {

double host_idle_s(const BurstOptions& o) {
  return (o.window_min + std::max(o.quiet_min, o.window_min)) * 60;
}

}  // namespace

KeyedBurstDetector::KeyedBurstDetector(BurstOptions options, Clock clock)
    : opt_(options),
      host_opt_(per_host_options(options, options.max_keys)),
      clock_(clock),
      global_(options, clock),
      per_host_("burst", options.max_keys, host_idle_s(options)) {}

std::optional<Alert> KeyedBurstDetector::hit(const model::ScoredFlow& f, double t) {
  const auto& address = opt_.key == BurstKey::kSource ? f.flow.srcip : f.flow.dstip;
  if (opt_.key == BurstKey::kGlobal || !address) return global_.hit(f, t);
  auto& detector = per_host_.touch(*address, t);
  if (!detector) detector.emplace(host_opt_, clock_);
  auto a = detector->hit(f, t);
  if (a) a->context = *address;  // one episode and one cooldown per host
  return a;
}

void KeyedBurstDetector::advance(double now) {
  global_.advance(now);
  per_host_.expire(now);
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
