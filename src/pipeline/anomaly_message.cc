#include "pipeline/anomaly_message.h"

#include <cmath>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace flowsentry::pipeline {
namespace {

// JSON has no NaN or infinity.
double finite_or_zero(double x) {
  return std::isfinite(x) ? x : 0.0;
}

}  // namespace

// Written by hand: a worker encodes every anomaly it publishes, and building a JSON tree per
// message cost more than scoring the flow.
std::string encode_anomaly(const model::ScoredFlow& scored) {
  std::string out;
  out.reserve(1200);
  flow::append_json(scored.flow, out);
  const auto& v = scored.verdict;
  const auto& key = scored.flow.key;
  auto it = std::back_inserter(out);
  // Splice the verdict fields into the flow object: {...flow..., ...verdict...}.
  out.back() = ',';
  fmt::format_to(it, FMT_COMPILE("\"score\":{},\"verdict_label\":{},\"verdict_attack_cat\":"),
                 finite_or_zero(v.score), v.label);
  flow::append_json_string(out, v.attack_cat);
  fmt::format_to(it, FMT_COMPILE(",\"attack_cat_prob\":{},\"threshold\":{},\"model_version\":"),
                 finite_or_zero(v.attack_cat_prob), finite_or_zero(v.threshold));
  flow::append_json_string(out, v.model_version);
  out += ",\"key_source\":";
  flow::append_json_string(out, key.source);
  fmt::format_to(it, FMT_COMPILE(",\"key_partition\":{},\"key_offset\":{},\"top_features\":["),
                 key.partition, key.offset);
  for (size_t i = 0; i < v.top_features.size(); ++i) {
    const auto& c = v.top_features[i];
    if (i) out += ',';
    out += "{\"feature\":";
    flow::append_json_string(out, c.feature);
    fmt::format_to(it, FMT_COMPILE(",\"value\":{},\"contribution\":{}}}"), finite_or_zero(c.value),
                   finite_or_zero(c.contribution));
  }
  out += "]}";
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
