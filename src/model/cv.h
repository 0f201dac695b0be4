// Model selection by stratified k-fold cross-validation on the training data only: each
// candidate of a small grid is trained on every fold's other rows exactly as `train` does
// (their own stratified split for early stopping) and scored on the fold; the default's
// binary and attack_cat settings are then chosen by a stated objective against a plain,
// untuned XGBoost measured on the same folds.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "model/trainer.h"

namespace flowsentry::model {

enum class CvBooster { kBinary, kAttackCat, kBoth };

struct CvCandidate {
  std::string name;
  CvBooster booster = CvBooster::kBoth;  // which booster it tunes; kBoth: the plain baseline
  std::string why;                       // what it tests
  TrainOptions options;
};

struct CvGrid {
  std::string name;
  std::vector<CvCandidate> candidates;  // the first kBoth candidate is the baseline
};

// The named grids: "quality" (the search behind the default model) and "default" (the
// current defaults and the plain baseline only: their spread, no search). Options other than
// the tuned ones come from `base`.
std::optional<CvGrid> cv_grid(std::string_view name, const TrainOptions& base);
std::vector<std::string> cv_grid_names();

struct FoldScore {
  double auc = 0, fpr_at_recall_95 = 0;  // binary booster
  double accuracy = 0, macro_f1 = 0;     // attack_cat booster
  int binary_rounds = 0, attack_cat_rounds = 0;
  double seconds = 0;
};

struct MeanSd {
  double mean = 0, sd = 0;  // sd over folds (n - 1)
};
MeanSd mean_sd(const std::vector<FoldScore>& folds, double FoldScore::*metric);

struct CvRow {
  CvCandidate candidate;
  std::vector<FoldScore> folds;
};

struct CvResult {
  std::string grid;
  int folds = 0;
  std::vector<CvRow> rows;
  int chosen_binary = -1, chosen_attack_cat = -1, baseline = -1;  // indices into rows
  TrainOptions chosen;  // base with the chosen binary and attack_cat settings
  double seconds = 0;

  // meta.json training.cv
  nlohmann::json to_json() const;
};

inline constexpr const char* kCvObjective =
    "binary: lowest mean fold FPR at recall 0.95 among candidates whose mean fold AUC is not "
    "below the plain baseline's; attack_cat: highest mean fold macro-F1 among candidates whose "
    "mean fold accuracy is not below the plain baseline's (without a qualifying candidate: the "
    "highest mean AUC, the highest mean macro-F1)";

// Fold of each row: every class is shuffled (seeded) and dealt round-robin over k folds.
std::vector<int> stratified_folds(const std::vector<int>& classes, int k, uint64_t seed);

// Runs every candidate on every fold (one DMatrix per fold part, reused by all candidates),
// logging fold k/K, config i/N and an ETA, and chooses by kCvObjective.
Result<CvResult> cross_validate(const TrainingData& data, const TrainOptions& base,
                                const CvGrid& grid, int folds);

struct Trained {
  std::unique_ptr<Artifact> model;
  std::unique_ptr<Artifact> baseline;  // the plain XGBoost, when asked for
};

// Trains `opts` on all of `data` and, with `with_baseline`, the plain XGBoost
// (plain_options) beside it on the same split, at the same time when opts.nthread >= 2 (one
// XGBoost thread each).
Result<Trained> train_with_baseline(const TrainingData& data, const TrainOptions& opts,
                                    bool with_baseline);

// Cross-validates, then trains on all of `data` with the chosen options (and the baseline, as
// train_with_baseline); meta.json training.cv records the grid, the fold table and the choice.
Result<Trained> train_chosen(const TrainingData& data, const TrainOptions& base, const CvGrid& grid,
                             int folds, bool with_baseline);

// The terminal table of a CvResult: mean ± sd of each metric per candidate.
std::string cv_table_text(const nlohmann::json& cv);

// metrics.json "baseline": the plain model's report on the same file, without curves, with
// its version, rounds rule and training time.
nlohmann::json baseline_record(const ModelMeta& baseline, nlohmann::json report);

}  // namespace flowsentry::model
