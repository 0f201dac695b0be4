// The pieces of training that `train` and cross-validation share: encoding rows, class
// weights, the XGBoost parameters of both boosters, and boosting with early stopping.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"
#include "model/features.h"
#include "model/trainer.h"
#include "model/xgb.h"

namespace flowsentry::model {

// Index of an attack_cat name in flow::kAttackCategories, -1 when unknown.
int class_index(const std::string& cat);

struct Matrix {
  std::vector<float> x;
  size_t rows = 0;
};

Matrix encode_rows(const FeatureSpace& fs, const std::vector<flow::FlowRecord>& rows,
                   const std::vector<size_t>& idx);

// attack_cat sample weight of each class: (largest class count / class count) ^ power, over
// the class counts of `idx`.
std::vector<float> class_weights(const std::vector<int>& cat, const std::vector<size_t>& idx,
                                 double power);

using Params = std::map<std::string, std::string>;
Params binary_params(const TrainOptions& o);
Params attack_cat_params(const TrainOptions& o);

struct BoostResult {
  xgb::Booster booster;
  int best_rounds = 0;
  double best_metric = 0;
  double seconds = 0;
};

// Boosts until the validation metric has not improved for `patience` rounds, then keeps the
// best prefix of the model; with o.fixed_rounds > 0, boosts exactly that many rounds and
// keeps them all. `log_progress` logs every 50 rounds.
Result<BoostResult> boost(const char* what, const Params& params, const xgb::DMatrix& dtrain,
                          const xgb::DMatrix& dvalid, const TrainOptions& o,
                          bool log_progress = true);

}  // namespace flowsentry::model
