#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/train_feedback.h"
#include "flow/profile.h"
#include "model/cv.h"
#include "model/trainer.h"

namespace flowsentry::cli {
namespace {

struct TrainOpts {
  std::vector<std::string> data;
  std::string out;
  uint64_t seed = 42;
  std::string profile = "full";
  double target_fpr = 0.02;
  int threads = 2;
  double class_weight_power = model::TrainOptions{}.class_weight_power;
  int cv_folds = 0;
  std::string grid = "quality";
  std::string baseline_out;
  model::TrainOptions tuning;
  FeedbackTrainOpts feedback;
  bool register_it = false;
  std::string registry, parent;
};

// The plain XGBoost baseline, trained beside the model, for `evaluate --baseline`.
int save_baseline(model::Artifact& plain, const std::string& out) {
  if (auto st = model::save_artifact(plain, out); !st) {
    std::cerr << "flowsentry train: baseline: " << st.error().to_string() << "\n";
    return kExitRuntime;
  }
  std::cerr << fmt::format("flowsentry train: wrote the plain XGBoost baseline to {} ({:.0f}s)\n",
                           out, plain.meta.training.value("seconds", 0.0));
  return kExitOk;
}

int run_train(const TrainOpts& o) {
  auto data = model::load_training_data(o.data);
  if (!data) {
    std::cerr << "flowsentry train: " << data.error().to_string() << "\n";
    return kExitRuntime;
  }
  std::vector<store::FeedbackFlow> holdout;
  if (!o.feedback.url.empty()) {
    auto h = add_feedback_rows(o.feedback, *data);
    if (!h.ok()) {
      std::cerr << "flowsentry train: feedback: " << h.error().to_string() << "\n";
      return kExitRuntime;
    }
    holdout = std::move(*h);
  }
  model::TrainOptions to = o.tuning;
  to.seed = o.seed;
  to.profile = o.profile;
  to.target_fpr = o.target_fpr;
  to.nthread = o.threads;
  to.class_weight_power = o.class_weight_power;
  std::optional<model::CvGrid> grid;
  if (o.cv_folds > 0) {
    grid = model::cv_grid(o.grid, to);
    if (!grid) {
      std::cerr << fmt::format("flowsentry train: unknown grid '{}'; choose one of {}\n", o.grid,
                               fmt::join(model::cv_grid_names(), ", "));
      return kExitUsage;
    }
  }
  const bool with_baseline = !o.baseline_out.empty();
  auto trained = grid ? model::train_chosen(*data, to, *grid, o.cv_folds, with_baseline)
                      : model::train_with_baseline(*data, to, with_baseline);
  if (!trained) {
    std::cerr << "flowsentry train: " << trained.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto& artifact = trained->model;
  if (auto st = model::save_artifact(*artifact, o.out); !st) {
    std::cerr << "flowsentry train: " << st.error().to_string() << "\n";
    return kExitRuntime;
  }
  if (!o.baseline_out.empty()) {
    if (int rc = save_baseline(*trained->baseline, o.baseline_out); rc != kExitOk) return rc;
  }
  const auto& v = artifact->metrics["validation"];
  std::cerr << fmt::format(
      "flowsentry train: wrote {} (model {}, profile {}, {} features); validation AUC {:.5f}, "
      "recall {:.4f} at FPR "
      "{:.4f}, attack_cat accuracy {:.4f} macro-F1 {:.4f}\n",
      o.out, artifact->meta.model_version, o.profile, artifact->meta.features.size(),
      v["auc"].get<double>(), v["recall"].get<double>(), v["fpr"].get<double>(),
      v["multiclass"]["accuracy"].get<double>(), v["multiclass"]["macro_f1"].get<double>());
  if (!o.feedback.url.empty()) {
    auto report = holdout_report(holdout, o.feedback.before, o.out);
    if (!report.ok()) {
      std::cerr << "flowsentry train: feedback hold-out: " << report.error().to_string() << "\n";
      return kExitRuntime;
    }
    std::cout << nlohmann::json{{"feedback", *report}}.dump() << "\n";
  }
  if (o.register_it) return register_artifact(o.registry, o.out, o.parent);
  return kExitOk;
}

}  // namespace

Command add_train_command(CLI::App& root) {
  auto* app =
      root.add_subcommand("train", "Train the binary and attack_cat models into an artifact");
  auto opts = std::make_shared<TrainOpts>();
  app->add_option("--data", opts->data, "Labelled CSV file (repeat for several)")->required();
  app->add_option("--out", opts->out, "Artifact directory to write")->required();
  app->add_option("--seed", opts->seed, "Seed for the split and the boosters")
      ->capture_default_str();
  std::vector<std::string> profiles;
  for (const auto& p : flow::kProfiles) profiles.emplace_back(p.name);
  app->add_option("--profile", opts->profile,
                  "Feature profile: the models see only its features (full, portable: no "
                  "TTL/window/ISN/jitter, netflow: what IPFIX/NetFlow gives, conn: Zeek "
                  "conn.log + http/ftp logs; see src/flow/README.md)")
      ->check(CLI::IsMember(profiles))
      ->capture_default_str();
  app->add_option("--target-fpr", opts->target_fpr,
                  "Threshold rule: highest validation recall with FPR <= this")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--threads", opts->threads, "XGBoost threads (fixed, for determinism)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->add_option("--class-weight-power", opts->class_weight_power,
                  "attack_cat sample weight = (largest class / class count)^power")
      ->check(CLI::Range(0.0, 2.0))
      ->capture_default_str();
  auto* reg = app->add_flag("--register", opts->register_it,
                            "Register the new artifact in the model registry (not promoted; "
                            "`flowsentry models promote VERSION` does that)");
  app->add_option("--registry", opts->registry,
                  "Registry folder for --register (default: model.registry, models/registry)")
      ->needs(reg);
  app->add_option("--parent", opts->parent,
                  "With --register: the version it derives from (default: the active one)")
      ->needs(reg);
  auto& t = opts->tuning;
  app->add_option("--max-depth", t.max_depth, "Binary model tree depth")->capture_default_str();
  app->add_option("--eta", t.eta, "Binary model learning rate")->capture_default_str();
  app->add_option("--cat-max-depth", t.cat_max_depth, "attack_cat model tree depth")
      ->capture_default_str();
  app->add_option("--cat-eta", t.cat_eta, "attack_cat model learning rate")->capture_default_str();
  app->add_option("--max-rounds", t.max_rounds, "Most boosting rounds per model")
      ->capture_default_str();
  app->add_option("--patience", t.early_stopping_rounds,
                  "Stop after this many rounds without a validation improvement")
      ->capture_default_str();
  app->add_option("--fpr-confidence-z", t.fpr_confidence_z,
                  "Threshold rule uses the FPR's Wilson upper bound with this z (0 = plain FPR)")
      ->capture_default_str();
  app->add_option("--cv", opts->cv_folds,
                  "Choose the settings by stratified K-fold cross-validation on the training "
                  "data (e.g. 5) over --grid, then train with the chosen ones")
      ->check(CLI::Range(2, 20));
  app->add_option("--grid", opts->grid,
                  "Candidates for --cv: quality (the search behind the "
                  "default model) or default (the defaults and the plain "
                  "baseline only)")
      ->check(CLI::IsMember(model::cv_grid_names()))
      ->capture_default_str();
  app->add_option("--baseline-out", opts->baseline_out,
                  "Also train a plain XGBoost (400 rounds, depth 8, defaults otherwise, no class "
                  "weights) on the same split into this directory");
  add_feedback_options(*app, opts->feedback);
  app->footer(
      "Holds out a stratified 20% validation split for early stopping and the threshold;\n"
      "writes the two models, meta.json, reference.json, metrics.json and model_card.md.\n"
      "meta.json records the profile; artifacts without one are `full`. Progress goes to\n"
      "stderr. The same data, profile and seed give the same models.\n"
      "--cv K: each grid candidate is trained on every fold's other rows as above and scored\n"
      "on the fold, over --threads single-threaded workers; meta.json training.cv and the\n"
      "model card record the grid, the fold table (mean ± sd), the objective and the choice.\n"
      "--feedback STORE_URL adds the flows analysts labelled (false_positive and benign_expected\n"
      "as 0, true_positive as 1, corrected attack_cat) --feedback-weight times each, holding out\n"
      "the newest --feedback-holdout share; stdout then gets one JSON line: on that hold-out, the\n"
      "false positives the --feedback-before model and the new one still flag.");
  return {app, [opts] { return run_train(*opts); }};
}

}  // namespace flowsentry::cli
