// The model card, rendered from meta.json and metrics.json so it never disagrees with them.
#include <algorithm>

#include <fmt/format.h>

#include "model/artifact.h"
#include "model/cv.h"

namespace flowsentry::model {

namespace {

std::string metrics_table(const nlohmann::json& metrics) {
  std::string out =
      "| split | rows | AUC | FPR at recall 0.95 | threshold | recall | FPR | precision | F1 | "
      "attack_cat accuracy | attack_cat macro-F1 |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n";
  for (const char* split : {"validation", "test"}) {
    if (!metrics.contains(split)) continue;
    const auto& r = metrics[split];
    out += fmt::format(
        "| {} | {} | {:.4f} | {:.2f}% | {:.4f} | {:.4f} | {:.2f}% | {:.4f} | {:.4f} | {:.4f} | "
        "{:.4f} |\n",
        split, r.at("rows").get<int64_t>(), r.at("auc").get<double>(),
        100 * r.at("fpr_at_recall_95").get<double>(), r.at("threshold").get<double>(),
        r.at("recall").get<double>(), 100 * r.at("fpr").get<double>(),
        r.at("precision").get<double>(), r.at("f1").get<double>(),
        r.at("multiclass").at("accuracy").get<double>(),
        r.at("multiclass").at("macro_f1").get<double>());
  }
  return out;
}

std::string per_class_table(const nlohmann::json& r) {
  std::string out = "| class | precision | recall | F1 | support |\n|---|---|---|---|---|\n";
  for (const auto& name : r.at("multiclass").at("classes")) {
    const auto& pc = r.at("multiclass").at("per_class").at(name.get<std::string>());
    out += fmt::format("| {} | {:.3f} | {:.3f} | {:.3f} | {} |\n", name.get<std::string>(),
                       pc.at("precision").get<double>(), pc.at("recall").get<double>(),
                       pc.at("f1").get<double>(), pc.at("support").get<int64_t>());
  }
  return out;
}

// The calibration and its checks, before and after, one column per measured sample.
std::string calibration_section(const Calibration& c) {
  std::string head = "| | threshold | calibration sample flagged |";
  std::string rule = "|---|---|---|";
  std::string before =
      fmt::format("| before | {:.6f} | {:.2f} % |", c.validation_threshold, 100 * c.rate_before);
  std::string after = fmt::format("| after | {:.6f} | {:.2f} % |", c.threshold, 100 * c.rate_after);
  if (c.normal_flows > 0) {
    head += fmt::format(" held-out known-good flagged (FPR, {} flows) |", c.normal_flows);
    rule += "---|";
    before += fmt::format(" {:.2f} % |", 100 * c.normal_fpr_before);
    after += fmt::format(" {:.2f} % |", 100 * c.normal_fpr_after);
  }
  if (c.attack_flows > 0) {
    head += fmt::format(" attack flows flagged (recall, {} flows) |", c.attack_flows);
    rule += "---|";
    before += fmt::format(" {:.2f} % |", 100 * c.attack_recall_before);
    after += fmt::format(" {:.2f} % |", 100 * c.attack_recall_after);
  }
  return fmt::format(
      "\n## Site calibration\n"
      "Calibrated on `{}` ({} flows, sha256 `{}`), site \"{}\", {}: the threshold moved from "
      "{:.6f} (validation split) to {:.6f} so that at most {:.2f} % of this known-good traffic "
      "is flagged{}.\n\n{}\n{}\n{}\n{}\n",
      c.data.name, c.flows, c.data.sha256.substr(0, 16), c.site, c.created, c.validation_threshold,
      c.threshold, 100 * c.target_rate,
      c.confidence > 0 ? fmt::format(" (upper bound of the rate at {:.0f} % confidence: {:.2f} %)",
                                     100 * c.confidence, 100 * c.rate_bound)
                       : "",
      head, rule, before, after);
}

std::string profile_line(const FeatureSpace& fs) {
  const auto& p = fs.profile();
  const auto left_out = flow::full_profile().fields.without(p.fields).names();
  std::vector<std::string_view> dropped(left_out.begin(), left_out.end());
  for (size_t c = flow::kFieldCount; c < FeatureSpace::kFullSize; ++c) {
    if (std::find(fs.columns().begin(), fs.columns().end(), c) == fs.columns().end()) {
      dropped.push_back(FeatureSpace::full_names()[c]);
    }
  }
  std::string out = fmt::format("- Feature profile `{}`: {}.\n", p.name, p.doc);
  if (dropped.empty()) return out + "  No feature is left out.\n";
  return out + fmt::format("  Left out ({}), never given to the boosters: {}.\n", dropped.size(),
                           fmt::join(dropped, ", "));
}

// The side-by-side table that bench/profiles/compare.py stores as metrics.json "comparison":
// every profile's XGBoost model and a scikit-learn RandomForest on the same columns.
std::string comparison_section(const nlohmann::json& c, std::string_view profile) {
  std::string out = fmt::format(
      "\n## What each profile costs ({})\n"
      "Every profile's committed model next to a scikit-learn RandomForest trained on the same "
      "columns of the same training file (RandomForest: {}).\n\n"
      "| profile | features | XGBoost AUC | XGBoost FPR at recall 0.95 | RandomForest AUC | "
      "RandomForest FPR at recall 0.95 |\n|---|---|---|---|---|---|\n",
      c.at("data").get<std::string>(), c.at("rf_params").get<std::string>());
  for (const auto& r : c.at("profiles")) {
    const auto name = r.at("profile").get<std::string>();
    out += fmt::format("| {}{} | {} | {:.4f} | {:.2f}% | {:.4f} | {:.2f}% |\n", name,
                       name == profile ? " (this model)" : "", r.at("features").get<int64_t>(),
                       r.at("xgboost").at("auc").get<double>(),
                       100 * r.at("xgboost").at("fpr_at_recall_95").get<double>(),
                       r.at("sklearn_rf").at("auc").get<double>(),
                       100 * r.at("sklearn_rf").at("fpr_at_recall_95").get<double>());
  }
  return out;
}

// How a booster's rounds were chosen, from meta.json training.
std::string stop_rule(const nlohmann::json& t, const char* booster) {
  if (t.value("rounds_rule", "").starts_with("fixed")) return "fixed rounds, no early stopping";
  const bool binary = std::string_view(booster) == "binary";
  std::string metric = binary ? "logloss" : "mlogloss";
  if (t.contains(booster) && t[booster].contains("params")) {
    metric = t[booster]["params"].value("eval_metric", metric);
  }
  return fmt::format("early stopping on the {}validation {}", binary ? "" : "weighted ", metric);
}

const nlohmann::json* cv_row(const nlohmann::json& cv, const nlohmann::json& name) {
  for (const auto& c : cv.at("candidates")) {
    if (c.at("name") == name) return &c;
  }
  return nullptr;
}

std::string cv_cell(const nlohmann::json* row, const char* key, double scale, int digits) {
  if (!row || !row->at("mean").contains(key)) return "";
  return fmt::format("{:.{}f} ± {:.{}f}", scale * (*row)["mean"][key].get<double>(), digits,
                     scale * (*row)["sd"][key].get<double>(), digits);
}

std::string cv_section(const nlohmann::json& cv) {
  return fmt::format(
      "\n## Model selection ({}-fold cross-validation on the training file)\n"
      "Grid `{}` ({:.1f} minutes, {} thread(s)); {}. Objective: {}. Chosen: binary `{}`, "
      "attack_cat `{}`. Mean ± sd over the folds:\n\n{}",
      cv.at("folds").get<int>(), cv.at("grid").get<std::string>(),
      cv.at("seconds").get<double>() / 60, cv.value("threads", 0),
      cv.at("method").get<std::string>(), cv.at("objective").get<std::string>(),
      cv["chosen"].value("binary", ""), cv["chosen"].value("attack_cat", ""), cv_table_text(cv));
}

// This model and the plain XGBoost trained in the same run, on the same test file, with the
// cross-validation spread of both.
std::string baseline_section(const ModelMeta& m, const nlohmann::json& metrics) {
  const auto& b = metrics.at("baseline");
  const nlohmann::json* cv = m.training.contains("cv") ? &m.training["cv"] : nullptr;
  const nlohmann::json* bin = cv ? cv_row(*cv, (*cv)["chosen"]["binary"]) : nullptr;
  const nlohmann::json* cat = cv ? cv_row(*cv, (*cv)["chosen"]["attack_cat"]) : nullptr;
  const nlohmann::json* plain = cv ? cv_row(*cv, (*cv)["baseline"]) : nullptr;
  auto row = [](const char* name, const nlohmann::json& r, double seconds,
                const nlohmann::json* cvb, const nlohmann::json* cvc) {
    return fmt::format("| {} | {:.4f} | {:.2f}% | {:.4f} | {:.4f} | {:.0f} | {} | {} | {} | {} |\n",
                       name, r.at("auc").get<double>(),
                       100 * r.at("fpr_at_recall_95").get<double>(),
                       r.at("multiclass").at("accuracy").get<double>(),
                       r.at("multiclass").at("macro_f1").get<double>(), seconds,
                       cv_cell(cvb, "auc", 1, 4), cv_cell(cvb, "fpr_at_recall_95", 100, 2),
                       cv_cell(cvc, "accuracy", 1, 4), cv_cell(cvc, "macro_f1", 1, 4));
  };
  return fmt::format(
      "\n## Against a plain XGBoost\n"
      "The baseline ({}, `{}`) was trained in the same run as this model; both are measured on "
      "`test` ({} rows) once, after the choices were made on the training file. Training "
      "seconds: the final fit (cross-validation not included); CV columns: mean ± sd over the "
      "folds, FPR in %.\n\n"
      "| model | AUC | FPR at recall 0.95 | attack_cat accuracy | attack_cat macro-F1 | training "
      "seconds | CV AUC | CV FPR at recall 0.95 | CV attack_cat accuracy | CV attack_cat "
      "macro-F1 |\n|---|---|---|---|---|---|---|---|---|---|\n{}{}",
      b.value("params", ""), b.value("model_version", ""),
      metrics.at("test").at("rows").get<int64_t>(),
      row("this model", metrics.at("test"), m.training.value("seconds", 0.0), bin, cat),
      row("plain XGBoost", b.at("report"), b.value("training_seconds", 0.0), plain, plain));
}

}  // namespace

std::string render_model_card(const ModelMeta& m, const nlohmann::json& metrics) {
  std::string data;
  for (const auto& d : m.data) {
    data += fmt::format("- `{}`: {} rows, sha256 `{}`\n", d.name, d.rows, d.sha256);
  }
  std::string features;
  for (const auto& n : m.features.names()) features += (features.empty() ? "" : ", ") + n;
  const auto& t = m.training;
  std::string out = fmt::format(
      R"(# Model card: {version}

Generated by `flowsentry train` (and `flowsentry evaluate --record test`); do not edit by hand.

## Intended use
Scores network flows with the UNSW-NB15 feature set (as produced by Argus/Bro-style flow
extraction): `score` = P(attack), `label` = score >= threshold, `attack_cat` = most likely of
{classes}. Meant for triage and alerting in flowsentry, not as the only control: a human
looks at what it flags.

## Data
{data}- training split: {train} rows, validation split: {valid} rows (stratified by attack_cat,
  seed {seed}); data sha256 `{hash}`
- created {created}, XGBoost {xgb}{producer}

## Model
{profile}- Features ({nfeat}, in order): {features}. proto/service/state are frequency-ordered indices
  learned from the training split; values seen fewer than {min_count} times, and unseen values,
  map to `other`.
- Binary: XGBoost binary:logistic, {brounds} rounds ({bstop}).
- attack_cat: XGBoost multi:softprob, {crounds} rounds, sample weights {cw}
  ({cstop}).
- Threshold {threshold:.6f}: {rule}.
- At run time flowsentry evaluates both models with its own tree evaluator (the same
  predictions as XGBoost, to 1e-5); SHAP explanations (`top_features`) come from XGBoost.

## Metrics
{table}
The `test` row is `test.csv`, used for evaluation only (never for training or tuning).
ROC and precision-recall curve points for each split are in `metrics.json` (`curves`).

### attack_cat per class ({split})
{per_class}
## Known limits
- UNSW-NB15 is a 2015 lab data set: traffic mixes, protocols and attack tools have moved on;
  expect a score shift on real networks and watch the drift detectors (reference.json).
- Some attack rows are identical in every feature to normal rows, which caps recall at a low FPR.
- The rare classes (Analysis, Backdoor, Worms, Shellcode) have few examples; their per-class
  metrics are noisy, and DoS/Exploits/Analysis/Backdoor are often confused with one another.
- The model sees one flow at a time; context (ct_* counters) must be computed upstream.
)",
      fmt::arg("version", m.model_version), fmt::arg("classes", fmt::join(m.classes, ", ")),
      fmt::arg("data", data), fmt::arg("train", m.train_rows), fmt::arg("valid", m.validation_rows),
      fmt::arg("seed", m.seed), fmt::arg("hash", m.data_sha256), fmt::arg("created", m.created),
      fmt::arg("xgb", t.value("xgboost_version", "")),
      fmt::arg("producer", t.contains("flowsentry_version")
                               ? ", flowsentry " + t.value("flowsentry_version", "")
                               : std::string()),
      fmt::arg("nfeat", m.features.size()), fmt::arg("profile", profile_line(m.features)),
      fmt::arg("features", features), fmt::arg("min_count", t.value("category_min_count", 0)),
      fmt::arg("brounds", t.contains("binary") ? t["binary"].value("rounds", 0) : 0),
      fmt::arg("crounds", t.contains("attack_cat") ? t["attack_cat"].value("rounds", 0) : 0),
      fmt::arg("cw", t.contains("attack_cat") ? t["attack_cat"].value("class_weight", "") : ""),
      fmt::arg("bstop", stop_rule(t, "binary")), fmt::arg("cstop", stop_rule(t, "attack_cat")),
      fmt::arg("threshold", m.threshold), fmt::arg("rule", m.threshold_rule),
      fmt::arg("table", metrics_table(metrics)),
      fmt::arg("split", metrics.contains("test") ? "test" : "validation"),
      fmt::arg("per_class", metrics.contains("test") ? per_class_table(metrics["test"])
                            : metrics.contains("validation")
                                ? per_class_table(metrics["validation"])
                                : std::string()));
  if (m.training.contains("cv")) out += cv_section(m.training["cv"]);
  if (metrics.contains("baseline") && metrics.contains("test")) {
    out += baseline_section(m, metrics);
  }
  if (metrics.contains("comparison")) {
    out += comparison_section(metrics["comparison"], m.features.profile().name);
  }
  if (m.calibration) out += calibration_section(*m.calibration);
  return out;
}

}  // namespace flowsentry::model
