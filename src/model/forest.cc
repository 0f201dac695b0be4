#include "model/forest.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdlib>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace flowsentry::model {
namespace {

using nlohmann::json;

Error incompatible(const std::string& what) {
  return make_error(ErrorCode::kIncompatible, what + "; the native evaluator cannot run it",
                    "forest");
}

Error corrupt(const std::string& what) {
  return make_error(ErrorCode::kCorrupt, "XGBoost model: " + what, "forest");
}

// learner_model_param holds numbers as strings ("5E-1").
float number(const json& v) {
  return v.is_string() ? std::strtof(v.get<std::string>().c_str(), nullptr) : v.get<float>();
}

bool truthy(const json& v) {
  return v.is_boolean() ? v.get<bool>() : v.get<int>() != 0;
}

// JSON text first; XGBoost's UBJ also starts with '{', so failing that, UBJ.
json parse_model(std::string_view bytes) {
  json j = json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (!j.is_discarded()) return j;
  return json::from_ubjson(bytes.begin(), bytes.end(), true, false);
}

}  // namespace

Result<Forest> Forest::load(std::string_view model) {
  const json j = parse_model(model);
  if (j.is_discarded() || !j.is_object()) return corrupt("neither JSON nor UBJ");
  Forest f;
  try {
    const auto& learner = j.at("learner");
    const auto& booster = learner.at("gradient_booster");
    const auto name = booster.at("name").get<std::string>();
    if (name != "gbtree") return incompatible(fmt::format("booster '{}' is not gbtree", name));
    const auto& param = learner.at("learner_model_param");
    f.num_features_ = static_cast<size_t>(number(param.at("num_feature")));
    const float base_score = number(param.at("base_score"));
    const auto objective = learner.at("objective").at("name").get<std::string>();
    if (objective == "binary:logistic") {
      f.objective_ = Objective::kLogistic;
      f.base_margin_ = -std::log(1.0f / base_score - 1.0f);  // XGBoost's ProbToMargin
    } else if (objective == "multi:softprob") {
      f.objective_ = Objective::kSoftprob;
      f.outputs_ = static_cast<size_t>(number(param.at("num_class")));
      f.base_margin_ = base_score;
    } else {
      return incompatible(fmt::format("objective '{}'", objective));
    }
    const auto& trees = booster.at("model").at("trees");
    const auto& info = booster.at("model").at("tree_info");
    if (!trees.is_array() || !info.is_array() || trees.size() != info.size()) {
      return corrupt("trees and tree_info differ in length");
    }
    bool covers = true;
    for (size_t t = 0; t < trees.size(); ++t) {
      covers = covers && trees[t].contains("sum_hessian");
      const auto group = info[t].get<size_t>();
      if (group >= f.outputs_) return corrupt(fmt::format("tree {} adds to output {}", t, group));
      if (auto st = f.add_tree(trees[t], group); !st) return st.error();
    }
    if (!covers) f.cover_.clear(), f.mean_.clear();
    if (f.explainable()) f.prepare_shap();
  } catch (const json::exception& e) {
    return corrupt(e.what());
  }
  if (f.outputs_ == 0 || f.num_features_ == 0) return corrupt("no outputs or no features");
  return f;
}

// Copies one tree breadth-first, so that each node's two children are adjacent.
Status Forest::add_tree(const json& tree, size_t group) {
  const auto left = tree.at("left_children").get<std::vector<int64_t>>();
  const auto right = tree.at("right_children").get<std::vector<int64_t>>();
  const auto feature = tree.at("split_indices").get<std::vector<int64_t>>();
  const auto value = tree.at("split_conditions").get<std::vector<float>>();
  const auto& default_left = tree.at("default_left");
  const size_t n = left.size();
  if (n == 0 || right.size() != n || feature.size() != n || value.size() != n ||
      default_left.size() != n) {
    return corrupt("a tree's node arrays differ in length");
  }
  if (tree.contains("split_type")) {
    for (const auto& s : tree["split_type"]) {
      if (s.get<int>() != 0) return incompatible("the model has categorical splits");
    }
  }
  std::vector<float> hess(n, 0.0f);
  if (tree.contains("sum_hessian")) hess = tree["sum_hessian"].get<std::vector<float>>();
  if (hess.size() != n) return corrupt("a tree's node arrays differ in length");
  const auto root = static_cast<uint32_t>(nodes_.size());
  nodes_.emplace_back();
  // (XGBoost id, our index, depth)
  std::vector<std::tuple<int64_t, uint32_t, uint8_t>> queue{{0, root, 0}};
  uint8_t depth = 0;
  for (size_t q = 0; q < queue.size(); ++q) {
    if (queue.size() > n) return corrupt("a tree's children form a cycle");
    const auto [id, at, level] = queue[q];
    const auto i = static_cast<size_t>(id);
    Node node{value[i], 0, 0, 1, at};
    depth = std::max(depth, level);
    if (left[i] != -1) {
      const bool in_range = left[i] > 0 && right[i] > 0 && static_cast<size_t>(left[i]) < n &&
                            static_cast<size_t>(right[i]) < n;
      if (!in_range) return corrupt("a child index is out of range");
      if (feature[i] < 0 || static_cast<size_t>(feature[i]) >= num_features_) {
        return corrupt(fmt::format("split on feature {} of {}", feature[i], num_features_));
      }
      if (level == 255) return incompatible("a tree is deeper than 255 levels");
      node.feature = static_cast<uint16_t>(feature[i]);
      node.default_left = truthy(default_left[i]) ? 1 : 0;
      node.leaf = 0;
      node.left = static_cast<uint32_t>(nodes_.size());
      nodes_.resize(nodes_.size() + 2);
      const auto below = static_cast<uint8_t>(level + 1);
      queue.emplace_back(left[i], node.left, below);
      queue.emplace_back(right[i], node.left + 1, below);
    }
    nodes_[at] = node;
    cover_.resize(nodes_.size());
    cover_[at] = hess[i];
  }
  roots_.push_back(root);
  depth_.push_back(depth);
  max_depth_ = std::max(max_depth_, depth);
  fill_means(root);
  group_.push_back(static_cast<uint16_t>(group));
  pad_tree(roots_.size() - 1);
  return {};
}

// XGBoost's FillNodeMeanValues: children come after their parent, so a backwards pass sees
// both children of a node before the node.
void Forest::fill_means(uint32_t root) {
  mean_.resize(nodes_.size());
  for (size_t i = nodes_.size(); i-- > root;) {
    const Node& n = nodes_[i];
    if (n.leaf) {
      mean_[i] = n.value;
      continue;
    }
    float result = mean_[n.left] * cover_[n.left];
    result += mean_[n.left + 1] * cover_[n.left + 1];
    result /= cover_[i];
    mean_[i] = result;
  }
}

}  // namespace flowsentry::model
