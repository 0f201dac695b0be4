#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/evaluate.h"
#include "model/report.h"

namespace flowsentry::cli {
namespace {

struct EvaluateOpts {
  std::string model = "models/default";
  std::string data;
  std::string format = "json";
  std::string record;
};

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
