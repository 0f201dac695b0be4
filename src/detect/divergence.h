// Distances between two categorical distributions (traffic mix: proto, state, service), all in
// nats. Bounds: KL in [0, inf), L1 in [0, 2], JS in [0, ln 2], PSI in [0, inf). KL and PSI are
// infinite where one side has a zero the other lacks, so they are computed on counts with
// additive (Laplace/Lidstone) smoothing; L1 and JS are finite on raw frequencies.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace flowsentry::detect {

enum class Measure { kJs, kKl, kL1, kPsi };

const char* measure_name(Measure m);  // "js", "kl", "l1", "psi"
bool parse_measure(std::string_view name, Measure& out);

// counts -> probabilities, adding `alpha` to every cell first. All zero and alpha 0 -> all zero.
std::vector<double> normalize(std::span<const double> counts, double alpha = 0.0);

// On probability vectors of equal length. Terms with p = 0 contribute 0.
double kl_divergence(std::span<const double> p, std::span<const double> q);  // KL(p || q)
double l1_distance(std::span<const double> p, std::span<const double> q);
double js_divergence(std::span<const double> p, std::span<const double> q);
double psi(std::span<const double> p, std::span<const double> q);  // sum (p-q) ln(p/q)

// Each category's term of the measure (they sum to the measure).
std::vector<double> contributions(Measure m, std::span<const double> p, std::span<const double> q);

using CategoryCounts = std::map<std::string, double, std::less<>>;

struct CategoryShift {
  std::string category;
  double share = 0;           // in the observed window
  double baseline_share = 0;  // in the reference / previous window
  double contribution = 0;    // its term of the measure
};

struct Comparison {
  Measure measure = Measure::kJs;
  double value = 0;
  std::vector<CategoryShift> top;  // largest contributions first
};

// Compares `observed` against `baseline` over the union of their categories. KL and PSI use
// `alpha` smoothing on the counts; JS and L1 use the raw frequencies.
Comparison compare(const CategoryCounts& observed, const CategoryCounts& baseline, Measure m,
                   double alpha = 0.5, size_t top_k = 3);

}  // namespace flowsentry::detect
