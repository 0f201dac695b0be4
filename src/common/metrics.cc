#include "common/metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "common/version.h"

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

namespace {

struct ProcStat {
  double cpu_seconds = 0;
  double start_ticks = 0;
  double vsize = 0;
  double rss_pages = 0;
};

// /proc/self/stat after the command name (which may hold spaces and parentheses).
bool read_proc_stat(ProcStat& out) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 2));
  std::vector<std::string> f{std::istream_iterator<std::string>(fields), {}};
  // Fields 3.. of proc(5), so index = field number - 3.
  if (f.size() < 22) return false;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  out.cpu_seconds = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  out.start_ticks = std::stod(f[19]);
  out.vsize = std::stod(f[20]);
  out.rss_pages = std::stod(f[21]);
  return true;
}

double boot_time() {
  std::ifstream in("/proc/stat");
  std::string key;
  double value = 0;
  while (in >> key) {
    if (key == "btime" && in >> value) return value;
    in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
  }
  return 0;
}

double open_fds() {
  std::error_code ec;
  double n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++n;
  }
  return n;
}

}  // namespace

void refresh_process_metrics(MetricsRegistry& r) {
  static std::mutex mutex;  // /metrics may be answered by several event loops at once
  std::lock_guard lock(mutex);
  r.gauge("flowsentry_build_info", "The running build; the value is always 1",
          {{"version", std::string(kVersion)}})
      .set(1);
  ProcStat st;
  if (read_proc_stat(st)) {
    auto& cpu = r.counter("process_cpu_seconds_total", "User and system CPU time spent, seconds");
    cpu.inc(std::max(0.0, st.cpu_seconds - cpu.value()));
    r.gauge("process_resident_memory_bytes", "Resident memory size in bytes")
        .set(st.rss_pages * static_cast<double>(sysconf(_SC_PAGESIZE)));
    r.gauge("process_virtual_memory_bytes", "Virtual memory size in bytes").set(st.vsize);
    static const double start =
        boot_time() + st.start_ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
    r.gauge("process_start_time_seconds", "Start time of the process since the epoch, seconds")
        .set(start);
  }
  r.gauge("process_open_fds", "Open file descriptors").set(open_fds());
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    r.gauge("process_max_fds", "Maximum number of open file descriptors")
        .set(static_cast<double>(limit.rlim_cur));
  }
}

}  // namespace flowsentry
