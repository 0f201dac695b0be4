#include "common/metrics.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

namespace flowsentry {
namespace {

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

std::string label_text(const Labels& labels, std::string_view extra_key = {},
                       std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return "";
  std::string out = "{";
  for (const auto& [k, v] : labels) out += fmt::format("{}=\"{}\",", k, escape_label(v));
  if (!extra_key.empty()) out += fmt::format("{}=\"{}\",", extra_key, extra_value);
  out.back() = '}';
  return out;
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (std::isnan(v)) return "NaN";
  return fmt::format("{}", v);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), counts_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  std::sort(bounds_.begin(), bounds_.end());
  for (size_t i = 0; i <= bounds_.size(); ++i) counts_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  Counter::add(sum_, v);
}

std::vector<uint64_t> Histogram::cumulative_counts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    total += counts_[i].load(std::memory_order_relaxed);
    out[i] = total;
  }
  return out;
}

uint64_t Histogram::count() const {
  return cumulative_counts().back();
}

double Histogram::quantile(double q) const {
  auto cum = cumulative_counts();
  if (cum.back() == 0) return 0;
  double rank = q * static_cast<double>(cum.back());
  for (size_t i = 0; i < bounds_.size(); ++i) {
    if (static_cast<double>(cum[i]) >= rank) {
      double lo = i == 0 ? 0 : bounds_[i - 1];
      double below = i == 0 ? 0 : static_cast<double>(cum[i - 1]);
      double in_bucket = static_cast<double>(cum[i]) - below;
      return lo + (bounds_[i] - lo) * (in_bucket > 0 ? (rank - below) / in_bucket : 0);
    }
  }
  return bounds_.empty() ? 0 : bounds_.back();
}

std::vector<double> latency_buckets() {
  return {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,    0.1,    0.25,    0.5,    1,     2.5,    5,     10};
}

MetricsRegistry& MetricsRegistry::global() {
  static MetricsRegistry registry;
  return registry;
}

MetricsRegistry::Family& MetricsRegistry::family(std::string_view name, std::string_view help,
                                                 Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{type, std::string(help), {}, {}, {}}).first;
  } else if (it->second.type != type) {
    throw std::logic_error("metric " + std::string(name) + " registered with two types");
  }
  return it->second;
}

Counter& MetricsRegistry::counter(std::string_view name, std::string_view help,
                                  const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::kCounter).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::gauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::kGauge).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::histogram(std::string_view name, std::string_view help,
                                      const Labels& labels, std::vector<double> bounds) {
  std::lock_guard lock(mutex_);
  auto& slot = family(name, help, Type::kHistogram).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return *slot;
}

std::string MetricsRegistry::render() const {
  std::lock_guard lock(mutex_);
  std::string out;
  auto it = std::back_inserter(out);
  for (const auto& [name, f] : families_) {
    const char* type = f.type == Type::kCounter ? "counter"
                       : f.type == Type::kGauge ? "gauge"
                                                : "histogram";
    fmt::format_to(it, "# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, type);
    for (const auto& [labels, c] : f.counters) {
      fmt::format_to(it, "{}{} {}\n", name, label_text(labels), number(c->value()));
    }
    for (const auto& [labels, g] : f.gauges) {
      fmt::format_to(it, "{}{} {}\n", name, label_text(labels), number(g->value()));
    }
    for (const auto& [labels, h] : f.histograms) {
      auto cum = h->cumulative_counts();
      for (size_t i = 0; i < h->bounds().size(); ++i) {
        fmt::format_to(it, "{}_bucket{} {}\n", name,
                       label_text(labels, "le", number(h->bounds()[i])), cum[i]);
      }
      fmt::format_to(it, "{}_bucket{} {}\n", name, label_text(labels, "le", "+Inf"), cum.back());
      fmt::format_to(it, "{}_sum{} {}\n", name, label_text(labels), number(h->sum()));
      fmt::format_to(it, "{}_count{} {}\n", name, label_text(labels), cum.back());
    }
  }
  return out;
}

}  // namespace flowsentry
