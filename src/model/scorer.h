// Scorer: the model at run time. Batched, thread-safe (any number of threads may call score()
// on one Scorer), no per-flow allocation once a thread's buffers and the caller's output vector
// have grown; SHAP explanations only when asked. score and attack_cat come from the native
// Forest evaluator (forest.h) when the models allow it, XGBoost's in-place prediction
// otherwise; SHAP from the forest's linear TreeSHAP when it has the covers, else XGBoost.
#pragma once

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"
#include "model/artifact.h"
#include "model/forest.h"
#include "model/verdict.h"

namespace flowsentry::model {

struct ExplainOptions {
  int top_k = 0;                // 0 = no explanations
  bool anomalies_only = false;  // explain only flows with label 1
  // At most this many rows per call, the highest scores first: a stream bounds the CPU its
  // explanations take (~0.4 ms a flow) and explains the anomalies that matter most.
  size_t max_rows = SIZE_MAX;
};

// Which code computes score and attack_cat. kAuto: the native forest when it loads (XGBoost
// when not); kXgboost: XGBoost's in-place prediction, for comparisons and benchmarks.
enum class Engine : uint8_t { kAuto, kXgboost };

struct ScorerOptions {
  int nthread = 2;  // threads per prediction call (XGBoost, and large native batches)
  Engine engine = Engine::kAuto;
};

class Scorer {
 public:
  static Result<std::unique_ptr<Scorer>> load(const std::string& dir, ScorerOptions opts = {});
  Scorer(std::unique_ptr<Artifact> artifact, ScorerOptions opts);

  // Fills out[i] for flows[i]; `out` is resized, and its elements' strings are reused.
  Status score(std::span<const flow::FlowRecord> flows, std::vector<Verdict>& out,
               const ExplainOptions& explain = {}) const;
  Status score(std::span<const flow::FlowRecord> flows, std::span<Verdict> out,
               const ExplainOptions& explain = {}) const;
  // SHAP top_k of flows already scored into out[i] (replaces their top_features).
  Status explain(std::span<const flow::FlowRecord> flows, std::span<Verdict> out, int top_k) const;
  // P(attack) only (no attack_cat): the cheapest path, for benchmarks and bulk evaluation.
  Status score_binary(std::span<const flow::FlowRecord> flows, std::vector<float>& scores) const;

  const Artifact& artifact() const { return *artifact_; }
  const ModelMeta& meta() const { return artifact_->meta; }
  double threshold() const { return artifact_->meta.threshold; }
  const std::string& model_version() const { return artifact_->meta.model_version; }
  // True when score and attack_cat come from the native forest.
  bool native() const { return binary_forest_.has_value(); }

 private:
  void load_forests(Engine engine);
  // Native prediction; batches of kParallelBatch rows or more are split over nthread threads.
  struct ForestRun {
    const Forest* forest;
    float* out;  // rows x forest->outputs()
  };
  void run_forests(std::span<const ForestRun> runs, const float* x, size_t n) const;
  // P(attack) of n encoded rows; the result lives in a per-thread buffer until the next call.
  Result<const float*> predict_binary(const float* x, size_t n) const;
  // n x classes probabilities, likewise per-thread.
  Result<const float*> predict_attack_cat(const float* x, size_t n) const;
  // Both at once: with the native forests, one split of the rows runs both.
  std::pair<Result<const float*>, Result<const float*>> predict_both(const float* x,
                                                                     size_t n) const;
  // SHAP values of n rows, (features + 1) per row: the native forest's TreeSHAP when it has the
  // covers, else XGBoost's; both give the same values.
  Status contributions(const float* x, size_t n, std::vector<float>& out) const;
  Status explain_rows(std::span<const float> features, std::span<const size_t> rows, int top_k,
                      std::span<Verdict> out) const;

  // Small batches (one flow from the API) go to single-threaded copies of the boosters: an
  // OpenMP team for a handful of rows costs more than it saves. Used for SHAP, and for scores
  // when the native forest is not available.
  static constexpr size_t kSmallBatch = 64;
  // Below this, starting threads costs more than the second core gives back.
  // A thread start costs ~50 us; 256 rows take ~3 ms, so splitting pays from there.
  static constexpr size_t kParallelBatch = 256;
  // Explanations cost ~0.4 ms a row: from this many rows, two threads share them.
  static constexpr size_t kParallelExplain = 8;
  const xgb::Booster& binary_for(size_t n) const {
    return n < kSmallBatch && binary_small_.handle() ? binary_small_ : artifact_->binary;
  }
  const xgb::Booster& attack_cat_for(size_t n) const {
    return n < kSmallBatch && attack_cat_small_.handle() ? attack_cat_small_
                                                         : artifact_->attack_cat;
  }

  std::unique_ptr<Artifact> artifact_;
  std::optional<Forest> binary_forest_, attack_cat_forest_;
  xgb::Booster binary_small_, attack_cat_small_;
  std::vector<std::string> classes_;
  size_t nf_;  // feature columns of the model's profile
  size_t nthread_ = 1;
};

// Appends one verdict as a JSON object: {"id":..,"line":..,"score":..,"label":..,
// "attack_cat":..,"attack_cat_prob":..,"threshold":..,"model_version":..,"top_features":[..]}.
// id/line are left out when negative; top_features when empty.
void append_verdict_json(const Verdict& v, std::string& out, int64_t id = -1, int64_t line = -1);

}  // namespace flowsentry::model
