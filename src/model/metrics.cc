#include "model/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <fmt/format.h>

namespace flowsentry::model {
namespace {

double ratio(double a, double b) {
  return b == 0 ? 0.0 : a / b;
}

// Indices sorted by score, highest first (ties keep input order).
std::vector<size_t> by_score_desc(std::span<const float> scores) {
  std::vector<size_t> idx(scores.size());
  std::iota(idx.begin(), idx.end(), size_t{0});
  std::stable_sort(idx.begin(), idx.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  return idx;
}

// One point per distinct score, walking from the highest: counts of positives/negatives with
// score >= that value.
struct Point {
  float score;
  int64_t tp, fp;
};

std::vector<Point> roc_points(std::span<const float> scores, std::span<const int> labels) {
  auto idx = by_score_desc(scores);
  std::vector<Point> pts;
  int64_t tp = 0, fp = 0;
  for (size_t i = 0; i < idx.size(); ++i) {
    (labels[idx[i]] ? tp : fp)++;
    if (i + 1 == idx.size() || scores[idx[i + 1]] != scores[idx[i]]) {
      pts.push_back({scores[idx[i]], tp, fp});
    }
  }
  return pts;
}

// Indices of the points to keep: both ends, and inner points about every total/(max - 2) of
// path length, so steep and flat stretches are both drawn.
std::vector<size_t> thin(const std::vector<std::pair<double, double>>& xy, size_t max_points) {
  std::vector<size_t> keep;
  if (xy.size() <= max_points) {
    keep.resize(xy.size());
    std::iota(keep.begin(), keep.end(), size_t{0});
    return keep;
  }
  std::vector<double> length(xy.size(), 0);
  for (size_t i = 1; i < xy.size(); ++i) {
    length[i] =
        length[i - 1] + std::hypot(xy[i].first - xy[i - 1].first, xy[i].second - xy[i - 1].second);
  }
  const double step = length.back() / static_cast<double>(std::max<size_t>(max_points, 3) - 2);
  keep.push_back(0);
  double next = step;
  for (size_t i = 1; i + 1 < xy.size(); ++i) {
    if (step > 0 && length[i] >= next) {
      keep.push_back(i);
      next = length[i] + step;
    }
  }
  keep.push_back(xy.size() - 1);
  return keep;
}

}  // namespace

Curves curves(std::span<const float> scores, std::span<const int> labels, size_t max_points) {
  Curves c;
  auto pts = roc_points(scores, labels);
  if (pts.empty()) return c;
  const double pos = static_cast<double>(pts.back().tp), neg = static_cast<double>(pts.back().fp);
  if (pos == 0 || neg == 0) return c;
  const double above_top = std::nextafter(pts.front().score, std::numeric_limits<float>::max());
  std::vector<double> threshold{above_top};
  std::vector<std::pair<double, double>> roc{{0, 0}}, pr{{0, 1}};
  for (const auto& p : pts) {
    const auto tp = static_cast<double>(p.tp), fp = static_cast<double>(p.fp);
    threshold.push_back(p.score);
    roc.emplace_back(fp / neg, tp / pos);
    pr.emplace_back(tp / pos, ratio(tp, tp + fp));
  }
  for (size_t i : thin(roc, max_points)) {
    c.roc.push_back({roc[i].first, roc[i].second, threshold[i]});
  }
  for (size_t i : thin(pr, max_points)) c.pr.push_back({pr[i].first, pr[i].second, threshold[i]});
  return c;
}

double roc_auc(std::span<const float> scores, std::span<const int> labels) {
  auto pts = roc_points(scores, labels);
  if (pts.empty()) return std::numeric_limits<double>::quiet_NaN();
  const double pos = static_cast<double>(pts.back().tp), neg = static_cast<double>(pts.back().fp);
  if (pos == 0 || neg == 0) return std::numeric_limits<double>::quiet_NaN();
  // Trapezoids between consecutive points: ties contribute half.
  double area = 0;
  int64_t prev_tp = 0, prev_fp = 0;
  for (const auto& p : pts) {
    area += static_cast<double>(p.fp - prev_fp) * static_cast<double>(p.tp + prev_tp) / 2.0;
    prev_tp = p.tp;
    prev_fp = p.fp;
  }
  return area / (pos * neg);
}

BinaryMetrics binary_metrics(std::span<const float> scores, std::span<const int> labels,
                             double threshold) {
  BinaryMetrics m;
  m.threshold = threshold;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= threshold;
    if (labels[i]) {
      (predicted ? m.tp : m.fn)++;
    } else {
      (predicted ? m.fp : m.tn)++;
    }
  }
  const double n = static_cast<double>(scores.size());
  m.accuracy = ratio(static_cast<double>(m.tp + m.tn), n);
  m.precision = ratio(static_cast<double>(m.tp), static_cast<double>(m.tp + m.fp));
  m.recall = ratio(static_cast<double>(m.tp), static_cast<double>(m.tp + m.fn));
  m.f1 = ratio(2 * m.precision * m.recall, m.precision + m.recall);
  m.fpr = ratio(static_cast<double>(m.fp), static_cast<double>(m.fp + m.tn));
  return m;
}

double fpr_at_recall(std::span<const float> scores, std::span<const int> labels,
                     double target_recall) {
  auto pts = roc_points(scores, labels);
  if (pts.empty()) return 0;
  const double pos = static_cast<double>(pts.back().tp), neg = static_cast<double>(pts.back().fp);
  for (const auto& p : pts) {
    if (ratio(static_cast<double>(p.tp), pos) >= target_recall) {
      return ratio(static_cast<double>(p.fp), neg);
    }
  }
  return 1.0;
}

double wilson_upper(int64_t k, int64_t n, double z) {
  if (n == 0) return 1.0;
  const double nn = static_cast<double>(n), p = static_cast<double>(k) / nn, z2 = z * z;
  const double centre = p + z2 / (2 * nn);
  const double margin = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn));
  return std::min(1.0, (centre + margin) / (1 + z2 / nn));
}

ThresholdChoice choose_threshold(std::span<const float> scores, std::span<const int> labels,
                                 double max_fpr, double z) {
  ThresholdChoice c;
  c.rule =
      z > 0 ? fmt::format("highest validation recall whose FPR upper bound (Wilson, z={}) is <= {}",
                          z, max_fpr)
            : fmt::format("highest validation recall with FPR <= {}", max_fpr);
  auto pts = roc_points(scores, labels);
  if (pts.empty()) return c;
  const double pos = static_cast<double>(pts.back().tp), neg = static_cast<double>(pts.back().fp);
  bool found = false;
  for (const auto& p : pts) {
    const double fpr = ratio(static_cast<double>(p.fp), neg);
    const double bound = z > 0 ? wilson_upper(p.fp, pts.back().fp, z) : fpr;
    // FPR only grows as the threshold falls. No false positive at all is always allowed, so a
    // small validation split cannot make the bounded rule flag nothing.
    if (p.fp > 0 && bound > max_fpr) break;
    const double recall = ratio(static_cast<double>(p.tp), pos);
    if (!found || recall > c.recall) {
      c.threshold = p.score;
      c.recall = recall;
      c.fpr = fpr;
      found = true;
    }
  }
  if (!found || pos == 0) {
    c.threshold = std::nextafter(pts.front().score, std::numeric_limits<float>::max());
    c.recall = 0;
    c.fpr = 0;
  }
  return c;
}

MulticlassMetrics multiclass_metrics(std::span<const int> truth, std::span<const int> predicted,
                                     int classes) {
  MulticlassMetrics m;
  const auto k = static_cast<size_t>(classes);
  m.confusion.assign(k, std::vector<int64_t>(k, 0));
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    m.confusion[truth[i]][predicted[i]]++;
    correct += truth[i] == predicted[i];
  }
  m.accuracy = ratio(static_cast<double>(correct), static_cast<double>(truth.size()));
  m.per_class.resize(k);
  double f1_sum = 0;
  int present = 0;
  for (size_t c = 0; c < k; ++c) {
    int64_t tp = m.confusion[c][c], row = 0, col = 0;
    for (size_t o = 0; o < k; ++o) {
      row += m.confusion[c][o];
      col += m.confusion[o][c];
    }
    auto& pc = m.per_class[c];
    pc.support = row;
    pc.precision = ratio(static_cast<double>(tp), static_cast<double>(col));
    pc.recall = ratio(static_cast<double>(tp), static_cast<double>(row));
    pc.f1 = ratio(2 * pc.precision * pc.recall, pc.precision + pc.recall);
    if (row > 0) {
      f1_sum += pc.f1;
      ++present;
    }
  }
  m.macro_f1 = ratio(f1_sum, present);
  return m;
}

}  // namespace flowsentry::model
