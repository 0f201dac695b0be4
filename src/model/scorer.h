// Scorer: the model at run time. Batched, thread-safe (any number of threads may call score()
// on one Scorer), no per-flow allocation once a thread's buffers and the caller's output vector
// have grown; SHAP explanations only when asked.
#pragma once

#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"
#include "model/artifact.h"
#include "model/verdict.h"

namespace flowsentry::model {

struct ExplainOptions {
  int top_k = 0;                // 0 = no explanations
  bool anomalies_only = false;  // explain only flows with label 1
};

struct ScorerOptions {
  int nthread = 2;  // XGBoost threads per prediction call
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
  // P(attack) only (no attack_cat): the cheapest path, for benchmarks and bulk evaluation.
  Status score_binary(std::span<const flow::FlowRecord> flows, std::vector<float>& scores) const;

  const Artifact& artifact() const { return *artifact_; }
  const ModelMeta& meta() const { return artifact_->meta; }
  double threshold() const { return artifact_->meta.threshold; }
  const std::string& model_version() const { return artifact_->meta.model_version; }

 private:
  Status explain(std::span<const float> features, std::span<const size_t> rows, int top_k,
                 std::span<Verdict> out) const;

  // Small batches (one flow from the API) go to single-threaded copies of the boosters: an
  // OpenMP team for a handful of rows costs more than it saves.
  static constexpr size_t kSmallBatch = 64;
  const xgb::Booster& binary_for(size_t n) const {
    return n < kSmallBatch && binary_small_.handle() ? binary_small_ : artifact_->binary;
  }
  const xgb::Booster& attack_cat_for(size_t n) const {
    return n < kSmallBatch && attack_cat_small_.handle() ? attack_cat_small_
                                                         : artifact_->attack_cat;
  }

  std::unique_ptr<Artifact> artifact_;
  xgb::Booster binary_small_, attack_cat_small_;
  std::vector<std::string> classes_;
  mutable std::mutex explain_mu_;  // DMatrix-based SHAP prediction is serialised
};

// Appends one verdict as a JSON object: {"id":..,"line":..,"score":..,"label":..,
// "attack_cat":..,"attack_cat_prob":..,"threshold":..,"model_version":..,"top_features":[..]}.
// id/line are left out when negative; top_features when empty.
void append_verdict_json(const Verdict& v, std::string& out, int64_t id = -1, int64_t line = -1);

}  // namespace flowsentry::model
