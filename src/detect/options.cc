#include "detect/options.h"

#include <algorithm>

namespace flowsentry::detect {

AdwinOptions adwin_options(const Config& c) {
  AdwinOptions o;
  o.delta = c.get_double("detect.adwin_delta");
  o.clock = static_cast<int>(c.get_int("detect.adwin_clock"));
  o.min_window = static_cast<int>(c.get_int("detect.adwin_min_window"));
  o.min_subwindow = static_cast<int>(c.get_int("detect.adwin_min_subwindow"));
  o.max_buckets = static_cast<int>(c.get_int("detect.adwin_max_buckets"));
  return o;
}

MixDriftOptions mix_drift_options(const Config& c) {
  MixDriftOptions o;
  o.window_flows = static_cast<uint64_t>(c.get_int("detect.mix_window_flows"));
  o.window_seconds = static_cast<double>(c.get_int("detect.mix_window_seconds"));
  o.min_count = static_cast<uint64_t>(c.get_int("detect.mix_min_count"));
  o.debounce = static_cast<int>(c.get_int("detect.mix_debounce"));
  o.measure = Measure::kJs;
  o.threshold = c.get_double("detect.mix_js_threshold");
  o.smoothing = c.get_double("detect.mix_smoothing");
  return o;
}

BurstOptions burst_options(const Config& c) {
  BurstOptions o;
  o.min_hits = static_cast<uint64_t>(c.get_int("alert.burst_min_hits"));
  o.window_min = c.get_double("alert.burst_window_min");
  o.quiet_min = c.get_double("alert.burst_quiet_min");
  o.rate_mode = c.get_bool("alert.burst_rate_mode");
  o.rate_factor = c.get_double("alert.burst_rate_factor");
  o.rate_min_hits = static_cast<uint64_t>(c.get_int("alert.burst_rate_min_hits"));
  // The setting's choices are checked when the configuration loads.
  if (auto key = parse_burst_key(c.get_string("alert.burst_key")); key.ok()) o.key = *key;
  o.max_keys = static_cast<size_t>(c.get_int("alert.burst_max_hosts"));
  return o;
}

SingleFlowOptions single_flow_options(const Config& c) {
  return {c.get_bool("alert.single_flow"), c.get_double("alert.single_flow_threshold")};
}

DispatcherOptions dispatcher_options(const Config& c) {
  DispatcherOptions o;
  o.queue_capacity = static_cast<size_t>(c.get_int("alert.queue_capacity"));
  o.max_attempts = static_cast<int>(c.get_int("alert.max_attempts"));
  o.backoff_initial_s = c.get_double("alert.backoff_s");
  o.cooldown_s = static_cast<double>(c.get_int("alert.cooldown_s"));
  o.rate_per_min = c.get_double("alert.rate_per_min");
  o.test_rate_per_min = c.get_double("alert.test_rate_per_min");
  return o;
}

HttpOptions http_options(const Config& c) {
  HttpOptions o;
  o.timeout_s = c.get_double("alert.timeout_s");
  o.connect_timeout_s = std::min(o.timeout_s, 3.0);
  return o;
}

std::vector<std::unique_ptr<Notifier>> notifiers_from_config(const Config& c, bool always_log) {
  std::vector<std::unique_ptr<Notifier>> out;
  const auto http = http_options(c);
  if (const auto& url = c.get_string("alert.slack_webhook_url"); !url.empty()) {
    out.push_back(make_slack_notifier(url, http, c.get_string("alert.dashboard_url")));
  }
  if (const auto& url = c.get_string("alert.webhook_url"); !url.empty()) {
    out.push_back(make_webhook_notifier(url, http));
  }
  if (out.empty() || always_log) out.push_back(make_log_notifier());
  return out;
}

}  // namespace flowsentry::detect
