#include "pipeline/anomaly_message.h"

#include <nlohmann/json.hpp>

namespace flowsentry::pipeline {

std::string encode_anomaly(const model::ScoredFlow& scored) {
  std::string out;
  out.reserve(1200);
  flow::append_json(scored.flow, out);
  const auto& v = scored.verdict;
  nlohmann::json extra{{"score", v.score},
                       {"verdict_label", v.label},
                       {"verdict_attack_cat", v.attack_cat},
                       {"attack_cat_prob", v.attack_cat_prob},
                       {"threshold", v.threshold},
                       {"model_version", v.model_version},
                       {"key_source", scored.flow.key.source},
                       {"key_partition", scored.flow.key.partition},
                       {"key_offset", scored.flow.key.offset}};
  auto features = nlohmann::json::array();
  for (const auto& c : v.top_features) {
    features.push_back(
        {{"feature", c.feature}, {"value", c.value}, {"contribution", c.contribution}});
  }
  extra["top_features"] = std::move(features);
  // Splice the verdict fields into the flow object: {...flow..., ...verdict...}.
  out.back() = ',';
  auto tail = extra.dump();
  out.append(tail, 1, std::string::npos);
  return out;
}

std::optional<model::ScoredFlow> decode_anomaly(std::string_view json, flow::JsonDecoder& decoder,
                                                std::string& problem) {
  model::ScoredFlow s;
  if (auto p = decoder.decode_one(json, s.flow)) {
    problem = (p->field.empty() ? "" : p->field + ": ") + p->problem;
    return std::nullopt;
  }
  auto j = nlohmann::json::parse(json, nullptr, false);
  if (j.is_discarded() || !j.contains("score") || !j["score"].is_number()) {
    problem = "/score: missing or not a number";
    return std::nullopt;
  }
  auto& v = s.verdict;
  v.score = j["score"].get<double>();
  v.label = j.value("verdict_label", 1);
  v.attack_cat = j.value("verdict_attack_cat", "");
  v.attack_cat_prob = j.value("attack_cat_prob", 0.0);
  v.threshold = j.value("threshold", 0.0);
  v.model_version = j.value("model_version", "");
  s.flow.key.source = j.value("key_source", "");
  s.flow.key.partition = j.value("key_partition", int64_t{0});
  s.flow.key.offset = j.value("key_offset", int64_t{-1});
  if (j.contains("top_features") && j["top_features"].is_array()) {
    for (const auto& c : j["top_features"]) {
      v.top_features.push_back(
          {c.value("feature", ""), c.value("value", 0.0), c.value("contribution", 0.0)});
    }
  }
  return s;
}

}  // namespace flowsentry::pipeline
