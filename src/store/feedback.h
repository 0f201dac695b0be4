// Analyst feedback on stored verdicts and alerts, suppression rules, and the features a flow
// keeps so that feedback can retrain the model. Value types only; SqlStore stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"
#include "model/verdict.h"

namespace flowsentry::store {

// What the analyst says about a verdict or alert.
enum class FeedbackLabel { kTruePositive, kFalsePositive, kBenignExpected };
const char* feedback_label_name(FeedbackLabel label);  // "true_positive", ...
std::optional<FeedbackLabel> parse_feedback_label(std::string_view text);

struct Feedback {
  int64_t id = 0;  // given by the store
  // Exactly one target: a stored flow (its API id, see encode_flow_id) or an alert id.
  std::optional<std::string> flow_id;
  std::optional<std::string> alert_id;
  FeedbackLabel label = FeedbackLabel::kFalsePositive;
  std::optional<std::string> attack_cat;  // corrected category, one of the model's classes
  std::string analyst;
  std::string note;
  double created = 0;  // server time
};

struct FeedbackFilter {
  std::optional<FeedbackLabel> label;
  std::optional<double> since;  // created >= since
};

// A page of feedback, newest first; `next` (an id) continues after the page's last entry.
struct FeedbackPage {
  std::vector<Feedback> items;
  std::optional<int64_t> next;
};

// "Alerts like this are expected": every given field must match an alert for the rule to drop
// it (at least one field is given). Until `expires`.
struct Suppression {
  int64_t id = 0;                      // given by the store
  std::optional<std::string> kind;     // the alert's kind (kind_or_type)
  std::optional<std::string> src;      // an address or CIDR every named source lies in
  std::optional<std::string> dst;      // the same for destinations
  std::optional<std::string> service;  // "http", "dns", ...
  std::optional<int64_t> port;         // every port the alert names
  std::string analyst;
  std::string note;
  double created = 0;
  double expires = 0;
};

// A flow with feedback and every feature it was scored on: the rows retraining adds.
struct FeedbackFlow {
  flow::FlowRecord flow;
  FeedbackLabel label = FeedbackLabel::kFalsePositive;
  std::optional<std::string> attack_cat;  // the analyst's correction, if any
  std::string model_attack_cat;           // what the model said
  double created = 0;                     // when the feedback was given
  int label01() const { return label == FeedbackLabel::kTruePositive ? 1 : 0; }
};

// Training rows from feedback: false_positive and benign_expected are label 0 (attack_cat
// "Normal" unless corrected), true_positive label 1 (the corrected attack_cat, else the model's,
// else "Generic").
std::vector<flow::FlowRecord> feedback_training_rows(const std::vector<FeedbackFlow>& flows);

// Which flows keep their features: every anomaly (label 1) and a share `sample` of the others,
// chosen by a hash of the record key so a replay keeps the same ones; none when sample < 0.
bool keeps_features(const model::ScoredFlow& f, double sample);
// Every feature of the flow (proto, service, state and the numeric fields in kNumFields order)
// as a compact binary value (version byte, length-prefixed categories, 39 little-endian
// doubles: ~330 bytes); decode_features reads it back, also from PostgreSQL's "\\x" hex text.
std::string encode_features(const flow::FlowRecord& f);
Result<flow::FlowRecord> decode_features(std::string_view text);

}  // namespace flowsentry::store
