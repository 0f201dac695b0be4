#include "detect/divergence.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace flowsentry::detect {

const char* measure_name(Measure m) {
  switch (m) {
    case Measure::kJs:
      return "js";
    case Measure::kKl:
      return "kl";
    case Measure::kL1:
      return "l1";
    case Measure::kPsi:
      return "psi";
  }
  return "?";
}

bool parse_measure(std::string_view name, Measure& out) {
  for (Measure m : {Measure::kJs, Measure::kKl, Measure::kL1, Measure::kPsi}) {
    if (name == measure_name(m)) {
      out = m;
      return true;
    }
  }
  return false;
}

std::vector<double> normalize(std::span<const double> counts, double alpha) {
  double sum = 0;
  for (double c : counts) sum += c + alpha;
  std::vector<double> p(counts.size(), 0.0);
  if (sum <= 0) return p;
  for (size_t i = 0; i < counts.size(); ++i) p[i] = (counts[i] + alpha) / sum;
  return p;
}

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

double kl_term(double p, double q) {
  if (p <= 0) return 0.0;
  if (q <= 0) return kInf;
  return p * std::log(p / q);
}

double js_term(double p, double q) {
  const double m = 0.5 * (p + q);
  return 0.5 * kl_term(p, m) + 0.5 * kl_term(q, m);
}

double psi_term(double p, double q) {
  if (p == q) return 0.0;
  if (p <= 0 || q <= 0) return kInf;
  return (p - q) * std::log(p / q);
}

double term(Measure m, double p, double q) {
  switch (m) {
    case Measure::kJs:
      return js_term(p, q);
    case Measure::kKl:
      return kl_term(p, q);
    case Measure::kL1:
      return std::fabs(p - q);
    case Measure::kPsi:
      return psi_term(p, q);
  }
  return 0.0;
}

double sum_terms(Measure m, std::span<const double> p, std::span<const double> q) {
  double s = 0;
  const size_t n = std::min(p.size(), q.size());
  for (size_t i = 0; i < n; ++i) s += term(m, p[i], q[i]);
  return s;
}

}  // namespace

double kl_divergence(std::span<const double> p, std::span<const double> q) {
  return sum_terms(Measure::kKl, p, q);
}
double l1_distance(std::span<const double> p, std::span<const double> q) {
  return sum_terms(Measure::kL1, p, q);
}
double js_divergence(std::span<const double> p, std::span<const double> q) {
  // Rounding can leave a hair below zero or above ln 2; the bounds are part of the contract.
  return std::clamp(sum_terms(Measure::kJs, p, q), 0.0, std::log(2.0));
}
double psi(std::span<const double> p, std::span<const double> q) {
  return sum_terms(Measure::kPsi, p, q);
}

std::vector<double> contributions(Measure m, std::span<const double> p, std::span<const double> q) {
  std::vector<double> out(std::min(p.size(), q.size()));
  for (size_t i = 0; i < out.size(); ++i) out[i] = term(m, p[i], q[i]);
  return out;
}

Comparison compare(const CategoryCounts& observed, const CategoryCounts& baseline, Measure m,
                   double alpha, size_t top_k) {
  std::vector<std::string> cats;
  for (const auto& [k, v] : observed) cats.push_back(k);
  for (const auto& [k, v] : baseline) {
    if (!observed.contains(k)) cats.push_back(k);
  }
  std::vector<double> a(cats.size()), b(cats.size());
  for (size_t i = 0; i < cats.size(); ++i) {
    if (auto it = observed.find(cats[i]); it != observed.end()) a[i] = it->second;
    if (auto it = baseline.find(cats[i]); it != baseline.end()) b[i] = it->second;
  }
  const double smooth = (m == Measure::kKl || m == Measure::kPsi) ? alpha : 0.0;
  const auto p = normalize(a, smooth);
  const auto q = normalize(b, smooth);
  Comparison c;
  c.measure = m;
  switch (m) {
    case Measure::kJs:
      c.value = js_divergence(p, q);
      break;
    case Measure::kKl:
      c.value = kl_divergence(p, q);
      break;
    case Measure::kL1:
      c.value = l1_distance(p, q);
      break;
    case Measure::kPsi:
      c.value = psi(p, q);
      break;
  }
  const auto terms = contributions(m, p, q);
  std::vector<size_t> order(cats.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // KL terms can be negative; rank by how much each category moves the measure either way.
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t x, size_t y) { return std::fabs(terms[x]) > std::fabs(terms[y]); });
  for (size_t i = 0; i < order.size() && i < top_k; ++i) {
    const size_t j = order[i];
    c.top.push_back({cats[j], p[j], q[j], terms[j]});
  }
  return c;
}

}  // namespace flowsentry::detect
