// The `anomalies` topic's message: a scored flow as one JSON object — the flow's fields, its
// record key, and the verdict (score, label, attack_cat, attack_cat_prob, threshold,
// model_version, top_features). Workers publish it; the alerter role decodes it for bursts.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "flow/json_codec.h"
#include "model/verdict.h"

namespace flowsentry::pipeline {

std::string encode_anomaly(const model::ScoredFlow& scored);

// nullopt (with `problem` set) when the message is not a scored flow.
std::optional<model::ScoredFlow> decode_anomaly(std::string_view json, flow::JsonDecoder& decoder,
                                                std::string& problem);

}  // namespace flowsentry::pipeline
