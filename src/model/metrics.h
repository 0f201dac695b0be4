// Evaluation metrics for the binary score and the attack_cat classifier, plus the rule that
// picks the decision threshold. Pure functions over spans; no XGBoost here.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace flowsentry::model {

// Area under the ROC curve; tied scores count half (the Mann-Whitney statistic).
// Returns NaN when only one class is present.
double roc_auc(std::span<const float> scores, std::span<const int> labels);

struct BinaryMetrics {
  double threshold = 0;
  int64_t tp = 0, fp = 0, tn = 0, fn = 0;
  double accuracy = 0, precision = 0, recall = 0, f1 = 0, fpr = 0;
};

// Metrics of the rule "attack when score >= threshold". Empty ratios (0/0) are 0.
BinaryMetrics binary_metrics(std::span<const float> scores, std::span<const int> labels,
                             double threshold);

// The lowest false-positive rate of any threshold whose recall is >= target_recall.
double fpr_at_recall(std::span<const float> scores, std::span<const int> labels,
                     double target_recall);

struct ThresholdChoice {
  double threshold = 0.5;
  double recall = 0;  // on the data the choice was made on
  double fpr = 0;
  std::string rule;  // human-readable, recorded in meta.json
};

// The threshold with the highest recall whose FPR is <= max_fpr; among thresholds with that
// recall the highest one. The threshold is a score value present in the data (attack when
// score >= threshold). With no attacks, or when even the top score breaks max_fpr, the
// threshold is just above the top score.
//
// With z > 0 the FPR compared with max_fpr is the upper end of its Wilson score interval
// (z = 1.645: one-sided 95%), so the limit holds on new data and not only on the sample;
// thresholds with no false positive at all always qualify.
ThresholdChoice choose_threshold(std::span<const float> scores, std::span<const int> labels,
                                 double max_fpr, double z = 0);

// Upper end of the Wilson score interval of a proportion k/n.
double wilson_upper(int64_t k, int64_t n, double z);

struct RocPoint {
  double fpr = 0, tpr = 0, threshold = 0;
};
struct PrPoint {
  double recall = 0, precision = 0, threshold = 0;
};
struct Curves {
  std::vector<RocPoint> roc;
  std::vector<PrPoint> pr;
};

// ROC and precision-recall curves of "attack when score >= threshold": one point per distinct
// score, highest threshold first, after a start point that flags nothing (threshold just above
// the top score; FPR = TPR = recall = 0, precision 1 by convention). Each curve is thinned to
// at most max_points (>= 2) evenly spaced along its length, keeping both ends. Empty when only
// one class is present.
Curves curves(std::span<const float> scores, std::span<const int> labels, size_t max_points = 200);

struct ClassMetrics {
  double precision = 0, recall = 0, f1 = 0;
  int64_t support = 0;  // true rows of the class
};

struct MulticlassMetrics {
  double accuracy = 0;
  double macro_f1 = 0;  // mean F1 over classes with support > 0 in the truth
  std::vector<ClassMetrics> per_class;
  std::vector<std::vector<int64_t>> confusion;  // [truth][predicted]
};

MulticlassMetrics multiclass_metrics(std::span<const int> truth, std::span<const int> predicted,
                                     int classes);

}  // namespace flowsentry::model
