#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/train_feedback.h"
#include "flow/profile.h"
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
  double class_weight_power = 0.3;
  model::TrainOptions tuning;
  FeedbackTrainOpts feedback;
  bool register_it = false;
  std::string registry, parent;
};

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
  auto artifact = model::train(*data, to);
  if (!artifact) {
    std::cerr << "flowsentry train: " << artifact.error().to_string() << "\n";
    return kExitRuntime;
  }
  if (auto st = model::save_artifact(**artifact, o.out); !st) {
    std::cerr << "flowsentry train: " << st.error().to_string() << "\n";
    return kExitRuntime;
  }
  const auto& v = (*artifact)->metrics["validation"];
  std::cerr << fmt::format(
      "flowsentry train: wrote {} (model {}, profile {}, {} features); validation AUC {:.5f}, "
      "recall {:.4f} at FPR "
      "{:.4f}, attack_cat accuracy {:.4f} macro-F1 {:.4f}\n",
      o.out, (*artifact)->meta.model_version, o.profile, (*artifact)->meta.features.size(),
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
  add_feedback_options(*app, opts->feedback);
  app->footer(
      "Holds out a stratified 20% validation split for early stopping and the threshold;\n"
      "writes the two models, meta.json, reference.json, metrics.json and model_card.md.\n"
      "meta.json records the profile; artifacts without one are `full`. Progress goes to\n"
      "stderr. The same data, profile and seed give the same models.\n"
      "--feedback STORE_URL adds the flows analysts labelled (false_positive and benign_expected\n"
      "as 0, true_positive as 1, corrected attack_cat) --feedback-weight times each, holding out\n"
      "the newest --feedback-holdout share; stdout then gets one JSON line: on that hold-out, the\n"
      "false positives the --feedback-before model and the new one still flag.");
  return {app, [opts] { return run_train(*opts); }};
}

}  // namespace flowsentry::cli
