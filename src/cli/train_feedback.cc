#include "cli/train_feedback.h"

#include <cmath>

#include <fmt/format.h>

#include "model/scorer.h"
#include "store/store.h"

namespace flowsentry::cli {

void add_feedback_options(CLI::App& app, FeedbackTrainOpts& opts) {
  app.add_option("--feedback", opts.url,
                 "Store URL whose analyst feedback (flows with their stored features) is added "
                 "to the training data");
  app.add_option("--since", opts.since, "Only feedback given at or after this time (epoch s)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--feedback-weight", opts.weight, "Copies of each feedback flow in training")
      ->check(CLI::Range(1, 100))
      ->capture_default_str();
  app.add_option("--feedback-holdout", opts.holdout,
                 "Share of the most recent feedback held out and reported before/after")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  app.add_option("--feedback-before", opts.before, "Model the hold-out report compares with")
      ->capture_default_str();
}

Result<std::vector<store::FeedbackFlow>> add_feedback_rows(const FeedbackTrainOpts& opts,
                                                           model::TrainingData& data) {
  store::StoreOptions so;
  so.url = opts.url;
  so.migrate = false;
  auto s = store::open_store(so);
  if (!s.ok()) return s.error();
  constexpr int kMaxFeedbackFlows = 1'000'000;
  auto flows = (*s)->feedback_flows(opts.since, kMaxFeedbackFlows);
  if (!flows.ok()) return flows.error();
  // Oldest first: the newest `holdout` share is what the model has not seen yet.
  const auto held =
      static_cast<size_t>(std::floor(opts.holdout * static_cast<double>(flows->size())));
  const size_t used = flows->size() - held;
  std::vector<store::FeedbackFlow> train(flows->begin(), flows->begin() + static_cast<long>(used));
  std::vector<store::FeedbackFlow> holdout(flows->begin() + static_cast<long>(used), flows->end());
  const auto rows = store::feedback_training_rows(train);
  for (int copy = 0; copy < opts.weight; ++copy) {
    data.rows.insert(data.rows.end(), rows.begin(), rows.end());
  }
  data.files.push_back({"feedback", "", static_cast<int64_t>(rows.size())});
  return holdout;
}

namespace {

Result<nlohmann::json> flagged(const std::string& dir,
                               const std::vector<store::FeedbackFlow>& holdout) {
  auto scorer = model::Scorer::load(dir);
  if (!scorer.ok()) return scorer.error();
  std::vector<flow::FlowRecord> flows;
  for (const auto& f : holdout) flows.push_back(f.flow);
  std::vector<model::Verdict> out;
  if (auto st = (*scorer)->score(flows, out); !st.ok()) return st.error();
  int64_t false_alerts = 0, true_alerts = 0, negatives = 0, positives = 0;
  for (size_t i = 0; i < holdout.size(); ++i) {
    const bool positive = holdout[i].label01() == 1;
    (positive ? positives : negatives)++;
    if (out[i].label == 1) (positive ? true_alerts : false_alerts)++;
  }
  return nlohmann::json{{"model", (*scorer)->model_version()},
                        {"false_positives_labelled", negatives},
                        {"still_flagged", false_alerts},
                        {"true_positives_labelled", positives},
                        {"true_positives_flagged", true_alerts}};
}

}  // namespace

Result<nlohmann::json> holdout_report(const std::vector<store::FeedbackFlow>& holdout,
                                      const std::string& before_dir, const std::string& after_dir) {
  nlohmann::json report{{"holdout", holdout.size()}};
  if (holdout.empty()) return report;
  for (const auto& [name, dir] : {std::pair{"before", before_dir}, std::pair{"after", after_dir}}) {
    auto r = flagged(dir, holdout);
    if (!r.ok()) return r.error();
    report[name] = *r;
  }
  return report;
}

}  // namespace flowsentry::cli
