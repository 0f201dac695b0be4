#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/cv.h"
#include "model/evaluate.h"
#include "model/report.h"

namespace flowsentry::cli {
namespace {

struct EvaluateOpts {
  std::string model = "models/default";
  std::string data;
  std::string format = "json";
  std::string record;
  std::string baseline;
};

// Evaluates the plain baseline on the same file and records it as metrics.json "baseline"
// beside the model's own report.
int record_baseline(const EvaluateOpts& o, const nlohmann::json& report) {
  auto plain = model::Scorer::load(o.baseline);
  if (!plain) {
    std::cerr << "flowsentry evaluate: baseline: " << plain.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto base = model::evaluate_file(**plain, o.data);
  if (!base) {
    std::cerr << "flowsentry evaluate: baseline: " << base.error().to_string() << "\n";
    return kExitRuntime;
  }
  const auto rec = model::baseline_record((*plain)->meta(), *base);
  if (!o.record.empty()) {
    if (auto st = model::record_metrics(o.model, "baseline", rec); !st) {
      std::cerr << "flowsentry evaluate: " << st.error().to_string() << "\n";
      return kExitRuntime;
    }
  }
  auto row = [](const char* name, const nlohmann::json& r) {
    return fmt::format("{:<16} {:>8.5f} {:>10.2f}% {:>10.4f} {:>10.4f}\n", name,
                       r["auc"].get<double>(), 100 * r["fpr_at_recall_95"].get<double>(),
                       r["multiclass"]["accuracy"].get<double>(),
                       r["multiclass"]["macro_f1"].get<double>());
  };
  std::cerr << fmt::format("{:<16} {:>8} {:>11} {:>10} {:>10}\n", "", "AUC", "FPR@R0.95", "cat acc",
                           "macro-F1")
            << row("this model", report) << row("plain XGBoost", *base);
  return kExitOk;
}

int run_evaluate(const EvaluateOpts& o) {
  auto scorer = model::Scorer::load(o.model);
  if (!scorer) {
    std::cerr << "flowsentry evaluate: " << scorer.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto report =
      model::evaluate_file(**scorer, o.data, [](const std::string& m) { std::cerr << m << "\n"; });
  if (!report) {
    std::cerr << "flowsentry evaluate: " << report.error().to_string() << "\n";
    return kExitRuntime;
  }
  if (!o.record.empty()) {
    if (auto st = model::record_metrics(o.model, o.record, *report); !st) {
      std::cerr << "flowsentry evaluate: " << st.error().to_string() << "\n";
      return kExitRuntime;
    }
  }
  if (!o.baseline.empty()) {
    if (int rc = record_baseline(o, *report); rc != kExitOk) return rc;
  }
  if (o.format == "json") {
    std::cout << report->dump() << "\n";
  } else {
    std::cout << fmt::format("model: {} ({}, profile {})\ndata: {}\n", o.model,
                             (*scorer)->model_version(), (*scorer)->meta().features.profile().name,
                             o.data)
              << model::evaluation_text(*report);
    if (auto invalid = (*report)["invalid_rows"].get<int64_t>(); invalid > 0) {
      std::cout << fmt::format("invalid rows skipped: {}\n", invalid);
    }
  }
  return kExitOk;
}

}  // namespace

Command add_evaluate_command(CLI::App& root) {
  auto* app = root.add_subcommand("evaluate", "Evaluate a model artifact on a labelled CSV file");
  auto opts = std::make_shared<EvaluateOpts>();
  app->add_option("--model", opts->model, "Artifact directory")->capture_default_str();
  app->add_option("--data", opts->data, "Labelled flow file (CSV or JSON lines)")->required();
  app->add_option("--format", opts->format, "Report format")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  app->add_option("--record", opts->record,
                  "Also store the report in MODEL/metrics.json under this key (e.g. test) and "
                  "re-render the model card");
  app->add_option("--baseline", opts->baseline,
                  "Also evaluate this baseline artifact (train --baseline-out) on the same file, "
                  "print both side by side on stderr and, with --record, store it as "
                  "metrics.json \"baseline\"");
  app->footer(
      "JSON: profile, rows, auc, accuracy, precision, recall, f1, fpr, threshold,\n"
      "fpr_at_recall_95, model_version, invalid_rows,\n"
      "confusion, curves {roc, pr} (<= 200 points each), multiclass {accuracy, macro_f1,\n"
      "per_class, confusion}. Text adds the confusion matrices in table form. Exit 1 when the\n"
      "label columns are missing, or when the model's feature profile needs columns the file\n"
      "does not fill.");
  return {app, [opts] { return run_evaluate(*opts); }};
}

}  // namespace flowsentry::cli
