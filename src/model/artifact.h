// The model artifact directory: two XGBoost models plus the metadata that makes them usable
// (feature order, encoders, threshold), reference distributions for the drift detectors,
// evaluation metrics and a model card.
//
//   model_binary.ubj      P(attack), binary:logistic
//   model_attack_cat.ubj  attack_cat, multi:softprob over meta.classes
//   meta.json             schema version, features, encoders, threshold, data hash, versions
//   reference.json        proto/service/state shares and the score histogram (validation split)
//   metrics.json          {"validation": {...}, "test": {...} when recorded by evaluate --record}
//   model_card.md         rendered from meta.json and metrics.json
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "model/features.h"
#include "model/xgb.h"

namespace flowsentry::model {

// Bump when the feature layout, the file set or the meaning of a meta field changes.
inline constexpr int kSchemaVersion = 1;
inline constexpr const char* kBinaryModelFile = "model_binary.ubj";
inline constexpr const char* kAttackCatModelFile = "model_attack_cat.ubj";

struct DataFile {
  std::string name;  // file name only: artifacts carry no machine paths
  std::string sha256;
  int64_t rows = 0;
};

// A site calibration by `flowsentry calibrate`: the threshold moved so that a known-good
// sample of the site's own traffic is flagged at no more than target_rate.
struct Calibration {
  std::string site;                 // a name for the site, e.g. "hq-mirror"
  double threshold = 0.5;           // the threshold now in use (also ModelMeta::threshold)
  double validation_threshold = 0;  // the training validation split's threshold it replaced
  double target_rate = 0.01;        // at most this share of the sample's flows flagged
  double confidence = 0;            // > 0: target met by the rate's upper bound at this level
  double rate_bound = 0;            // that upper bound for the calibrated threshold
  int64_t flows = 0;                // flows in the sample
  double rate_before = 0;           // the sample's flagged share at validation_threshold
  double rate_after = 0;            // ... at threshold
  DataFile data;                    // the sample file (name and sha256 only)
  // Optional checks (calibrate --normal-data, --attack-data): flagged shares of held-out
  // known-good traffic (the false-positive rate) and of known attack traffic (recall).
  int64_t normal_flows = 0;
  double normal_fpr_before = 0, normal_fpr_after = 0;
  int64_t attack_flows = 0;
  double attack_recall_before = 0, attack_recall_after = 0;
  std::string created;  // UTC, ISO 8601

  nlohmann::json to_json() const;
  static Calibration from_json(const nlohmann::json& j);
};

struct ModelMeta {
  int schema_version = kSchemaVersion;
  std::string model_version;  // "xgb-" + first 12 hex digits of the binary model's sha256
  std::string created;        // UTC, ISO 8601
  FeatureSpace features;
  std::vector<std::string> classes;  // attack_cat model output order
  double threshold = 0.5;
  std::string threshold_rule;
  double target_fpr = 0.02;
  uint64_t seed = 0;
  int64_t train_rows = 0, validation_rows = 0;
  std::vector<DataFile> data;
  std::string data_sha256;        // sha256 over the files' sha256 values, in --data order
  nlohmann::json training;        // parameters, rounds, timings
  std::string binary_sha256;      // of model_binary.ubj, checked on load
  std::string attack_cat_sha256;  // of model_attack_cat.ubj
  // Set once the model was calibrated on a site's traffic; absent, the threshold is the one
  // chosen on the training data's validation split (calibrated for UNSW-NB15-like data only).
  std::optional<Calibration> calibration;

  nlohmann::json to_json() const;
  static Result<ModelMeta> from_json(const nlohmann::json& j);
};

struct Artifact {
  ModelMeta meta;
  xgb::Booster binary;
  xgb::Booster attack_cat;
  nlohmann::json reference = nlohmann::json::object();
  nlohmann::json metrics = nlohmann::json::object();
};

// Writes every file into `dir` (created when missing). Fills meta's model hashes and
// model_version from the serialised boosters first.
Status save_artifact(Artifact& a, const std::string& dir);
// Loads and checks an artifact: kNotFound for a missing file, kCorrupt for damaged content,
// kIncompatible for another schema version or feature layout.
Result<std::unique_ptr<Artifact>> load_artifact(const std::string& dir);

// Stores `metrics` under `key` in dir/metrics.json and re-renders the model card.
Status record_metrics(const std::string& dir, const std::string& key,
                      const nlohmann::json& metrics);

// Rewrites dir/meta.json from `meta` and re-renders the model card (the boosters are untouched).
Status save_meta(const std::string& dir, const ModelMeta& meta);

// Markdown model card from the artifact's meta and metrics.
std::string render_model_card(const ModelMeta& meta, const nlohmann::json& metrics);

std::string sha256_hex(std::string_view bytes);
Result<std::string> sha256_file(const std::string& path);
Result<std::string> read_file(const std::string& path);

}  // namespace flowsentry::model
