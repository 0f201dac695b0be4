// Metrics registry rendering the Prometheus text format (0.0.4). Debian has no prometheus-cpp,
// and the text format is small. Metrics are created once (by a module's probe) and updated
// lock-free on the hot path; references stay valid for the registry's lifetime.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flowsentry {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double v = 1) { add(value_, v); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  friend class Gauge;
  friend class Histogram;
  static void add(std::atomic<double>& a, double v) {
    double cur = a.load(std::memory_order_relaxed);
    while (!a.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
    }
  }
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double v) { Counter::add(value_, v); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative count for each bound, then +Inf; and the sum.
  std::vector<uint64_t> cumulative_counts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const;
  // Estimated quantile (linear within the bucket), as Prometheus' histogram_quantile does.
  double quantile(double q) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // one per bound, plus +Inf
  std::atomic<double> sum_{0};
};

// Default latency buckets in seconds: 50 µs .. 10 s.
std::vector<double> latency_buckets();

class MetricsRegistry {
 public:
  // The process-wide registry that /metrics serves.
  static MetricsRegistry& global();

  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {},
                       std::vector<double> bounds = latency_buckets());

  std::string render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(std::string_view name, std::string_view help, Type type);

  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

// Sets the families every exporter has, read from /proc at scrape time: process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds; and flowsentry_build_info{version} = 1.
void refresh_process_metrics(MetricsRegistry& registry);

}  // namespace flowsentry
