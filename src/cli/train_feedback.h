// `flowsentry train --feedback STORE_URL`: adds the flows analysts labelled (with every feature
// the store kept) to the training rows, and reports the most recent of them, held out by time,
// scored by the model before and after.
#pragma once

#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "common/result.h"
#include "model/trainer.h"
#include "store/feedback.h"

namespace flowsentry::cli {

struct FeedbackTrainOpts {
  std::string url;       // empty: no feedback
  double since = 0;      // feedback given at or after (epoch seconds)
  int weight = 5;        // each feedback flow is added this many times
  double holdout = 0.2;  // the most recent share, kept out of training and reported
  std::string before = "models/default";  // the model the report compares with
};

void add_feedback_options(CLI::App& app, FeedbackTrainOpts& opts);

// Reads the feedback flows, appends all but the hold-out to `data` (weight copies each) and
// returns the hold-out, oldest first.
Result<std::vector<store::FeedbackFlow>> add_feedback_rows(const FeedbackTrainOpts& opts,
                                                           model::TrainingData& data);

// {"holdout", "before": {...}, "after": {...}}: on the held-out feedback flows, how many of the
// analysts' false positives (label 0) each model still flags and how many true positives it
// keeps, with the model at `before_dir` and the one just written to `after_dir`.
Result<nlohmann::json> holdout_report(const std::vector<store::FeedbackFlow>& holdout,
                                      const std::string& before_dir, const std::string& after_dir);

}  // namespace flowsentry::cli
