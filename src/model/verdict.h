// Verdict: what the model says about one flow. ScoredFlow pairs it with the flow, and is what
// the pipeline hands to detectors and stores.
#pragma once

#include <string>
#include <vector>

#include "flow/flow_record.h"

namespace flowsentry::model {

struct Contribution {
  std::string feature;      // feature name, e.g. "sttl" or "proto"
  double value = 0;         // the flow's value of that feature (category index for categoricals)
  double contribution = 0;  // SHAP value in log-odds
};

struct Verdict {
  double score = 0;        // P(attack)
  int label = 0;           // score >= threshold
  std::string attack_cat;  // most likely category
  double attack_cat_prob = 0;
  double threshold = 0;
  std::string model_version;
  std::vector<Contribution> top_features;  // empty unless explanations were asked for
};

struct ScoredFlow {
  flow::FlowRecord flow;
  Verdict verdict;
};

}  // namespace flowsentry::model
