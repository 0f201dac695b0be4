#include "detect/beacon.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <fmt/format.h>

namespace flowsentry::detect {
namespace {

constexpr size_t kMaxStarts = 128;
constexpr uint64_t kRescoreEvery = 8;  // after the first score, every Nth connection
// Connections opened together (a browser's parallel connections, a retry) are one contact:
// clocks that tick faster than this are not beacons worth the name.
constexpr double kMinGapS = 1.0;
constexpr double kMinMedianS = 1.5;  // hydra's back-to-back attempts are not a clock

double quantile(const std::vector<double>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const auto hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

std::set<int64_t> parse_ports(const std::string& list) {
  std::set<int64_t> out;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ',')) {
    try {
      if (!item.empty()) out.insert(std::stoll(item));
    } catch (...) {  // validated by the settings table's doc; a bad item is ignored
    }
  }
  return out;
}

}  // namespace

BeaconScore beacon_score(std::vector<double> starts) {
  BeaconScore s;
  if (starts.size() < 4) return s;
  std::sort(starts.begin(), starts.end());
  std::vector<double> iv;
  iv.reserve(starts.size() - 1);
  for (size_t i = 1; i < starts.size(); ++i) iv.push_back(starts[i] - starts[i - 1]);
  std::sort(iv.begin(), iv.end());
  s.intervals = iv.size();
  const double q1 = quantile(iv, 0.25), q2 = quantile(iv, 0.5), q3 = quantile(iv, 0.75);
  s.median = q2;
  s.skew = q3 - q1 > 1e-9 ? (q1 + q3 - 2 * q2) / (q3 - q1) : 0;
  std::vector<double> dev;
  dev.reserve(iv.size());
  for (double v : iv) dev.push_back(std::abs(v - q2));
  std::sort(dev.begin(), dev.end());
  s.madm = quantile(dev, 0.5);
  if (q2 <= 1e-3) return s;  // bursts of simultaneous connections are not a clock
  const double skew_score = 1 - std::min(1.0, std::abs(s.skew));
  const double madm_score = 1 - std::min(1.0, s.madm / q2);
  s.score = (skew_score + madm_score) / 2;
  return s;
}

BeaconDetector::BeaconDetector(const BehaviourOptions& options)
    : opt_(options),
      ignore_ports_(parse_ports(options.beacon_ignore_ports)),
      table_("beaconing", options.max_hosts, options.beacon_idle_s) {}

size_t BeaconDetector::approx_bytes() const {
  size_t bytes = table_.size() * 700;
  table_.for_each([&](const std::string&, const BeaconState& s) { bytes += s.starts.size() * 16; });
  return bytes;
}

void BeaconDetector::observe(const flow::FlowRecord& f, double t, std::vector<Alert>& out) {
  if (f.proto != "tcp" && f.proto != "udp") return;
  const int64_t port = f.dsport.value_or(0);
  if (ignore_ports_.contains(port)) return;
  const std::string key = fmt::format("{}>{}:{}/{}", *f.srcip, *f.dstip, port, f.proto);
  auto& s = table_.touch(key, t);
  const int64_t sport = f.sport.value_or(-1);
  if (sport == s.last_sport && sport >= 0) return;  // the same connection continued
  s.last_sport = sport;
  if (!s.starts.empty() && std::abs(t - s.starts.back()) < kMinGapS) return;
  s.tally.add(f, t);
  // Examples from halfway to the threshold on: most pairs never get there, and memory counts.
  if (2 * (s.connections + 1) >= opt_.beacon_min_connections) s.examples.add(f, opt_.max_examples);
  s.starts.push_back(t);
  if (s.starts.size() > kMaxStarts) s.starts.erase(s.starts.begin());
  ++s.connections;
  if (s.alerted || s.connections < opt_.beacon_min_connections) return;
  if ((s.connections - opt_.beacon_min_connections) % kRescoreEvery != 0) return;
  const auto score = beacon_score(s.starts);
  if (score.score < opt_.beacon_min_score || score.median < kMinMedianS) return;
  s.alerted = true;
  const std::string& src = *f.srcip;
  const std::string& dst = *f.dstip;
  out.push_back(behaviour_alert(
      "beaconing", fmt::format("{}>{}:{}/{}", src, dst, port, f.proto), Severity::kWarning,
      fmt::format("beaconing: {} connects to {}:{}/{} every {:.1f} s ({} connections, score "
                  "{:.2f})",
                  src, dst, port, f.proto, score.median, s.connections, score.score),
      s.tally, {{"src", src}, {"dst", dst}},
      {{"port", port},
       {"proto", f.proto},
       {"connections", s.connections},
       {"median_interval_s", score.median},
       {"interval_madm_s", score.madm},
       {"interval_skew", score.skew},
       {"score", score.score}},
      s.examples));
}

}  // namespace flowsentry::detect
