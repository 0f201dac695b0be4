// The evaluation report shared by `train` (validation split) and `evaluate` (any labelled file):
// binary metrics at the model's threshold, AUC, FPR at recall 0.95, and the attack_cat metrics.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace flowsentry::model {

struct LabelledPredictions {
  std::vector<float> score;   // P(attack)
  std::vector<int> label;     // truth 0/1
  std::vector<int> cat_true;  // truth class index
  std::vector<int> cat_pred;  // predicted class index
};

// {rows, auc, accuracy, precision, recall, f1, fpr, threshold, fpr_at_recall_95,
//  confusion: {tp, fp, tn, fn}, curves: {roc: [{fpr, tpr, threshold}], pr: [{recall, precision,
//  threshold}]} (<= 200 points each), multiclass: {accuracy, macro_f1, per_class, classes,
//  confusion}}
nlohmann::json evaluation_report(const LabelledPredictions& p, double threshold,
                                 const std::vector<std::string>& classes);

// Human-readable form of a report, with both confusion matrices.
std::string evaluation_text(const nlohmann::json& report);

}  // namespace flowsentry::model
