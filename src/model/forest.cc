#include "model/forest.h"

#include <algorithm>
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

// XGBoost 1.7's Softmax (common/math.h): float exponentials, double sum.
void softmax(float* v, size_t k) {
  float top = v[0];
  for (size_t c = 1; c < k; ++c) top = std::fmax(v[c], top);
  double sum = 0;
  for (size_t c = 0; c < k; ++c) {
    v[c] = std::exp(v[c] - top);
    sum += v[c];
  }
  for (size_t c = 0; c < k; ++c) v[c] /= static_cast<float>(sum);
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
    for (size_t t = 0; t < trees.size(); ++t) {
      const auto group = info[t].get<size_t>();
      if (group >= f.outputs_) return corrupt(fmt::format("tree {} adds to output {}", t, group));
      if (auto st = f.add_tree(trees[t], group); !st) return st.error();
    }
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
  }
  roots_.push_back(root);
  depth_.push_back(depth);
  group_.push_back(static_cast<uint16_t>(group));
  return {};
}

float Forest::leaf_value(uint32_t i, const float* row) const {
  const Node* nodes = nodes_.data();
  while (!nodes[i].leaf) {
    const Node& n = nodes[i];
    const float v = row[n.feature];
    const bool left = std::isnan(v) ? n.default_left != 0 : v < n.value;
    i = n.left + (left ? 0u : 1u);
  }
  return nodes[i].value;
}

namespace {

// Rows walked through one tree side by side: each walk is a chain of dependent loads, so
// several in flight keep the core busy while one waits.
constexpr size_t kLanes = 8;

// Right when the value is not below the threshold, or when it is missing and the node's
// default is right; a leaf stays put. Branch-free: the branch would be a coin toss.
template <typename Node>
inline uint32_t step(const Node& n, const float* row) {
  const float v = row[n.feature];
  const unsigned right =
      static_cast<unsigned>(v >= n.value) |
      (static_cast<unsigned>(n.default_left ^ 1u) & static_cast<unsigned>(v != v));
  return n.left + (right & (n.leaf ^ 1u));
}

}  // namespace

// All trees over up to kBlock rows. The sum per output is in tree order, as in XGBoost, so the
// float results agree.
void Forest::predict_block(const float* x, size_t rows, float* out) const {
  const size_t k = outputs_, nf = num_features_;
  const Node* nodes = nodes_.data();
  const size_t full = rows - rows % kLanes;
  std::fill_n(out, rows * k, base_margin_);
  for (size_t t = 0; t < roots_.size(); ++t) {
    const uint32_t root = roots_[t];
    const unsigned depth = depth_[t];
    const size_t g = group_[t];
    for (size_t r = 0; r < full; r += kLanes) {
      const float* row = x + r * nf;
      uint32_t at[kLanes];
      for (size_t l = 0; l < kLanes; ++l) at[l] = root;
      for (unsigned d = 0; d < depth; ++d) {
        for (size_t l = 0; l < kLanes; ++l) at[l] = step(nodes[at[l]], row + l * nf);
      }
      for (size_t l = 0; l < kLanes; ++l) out[(r + l) * k + g] += nodes[at[l]].value;
    }
  }
  for (size_t r = full; r < rows; ++r) add_row(x + r * nf, out + r * k);
  if (objective_ == Objective::kLogistic) {
    for (size_t i = 0; i < rows; ++i) out[i] = 1.0f / (1.0f + std::exp(-out[i]));
  } else {
    for (size_t i = 0; i < rows; ++i) softmax(out + i * k, k);
  }
}

// One row through all trees, kLanes trees side by side; leaves are added in tree order.
void Forest::add_row(const float* row, float* out) const {
  const Node* nodes = nodes_.data();
  const size_t trees = roots_.size();
  size_t t = 0;
  for (; t + kLanes <= trees; t += kLanes) {
    uint32_t at[kLanes];
    unsigned depth = 0;
    for (size_t l = 0; l < kLanes; ++l) {
      at[l] = roots_[t + l];
      depth = std::max<unsigned>(depth, depth_[t + l]);
    }
    for (unsigned d = 0; d < depth; ++d) {
      for (size_t l = 0; l < kLanes; ++l) at[l] = step(nodes[at[l]], row);
    }
    for (size_t l = 0; l < kLanes; ++l) out[group_[t + l]] += nodes[at[l]].value;
  }
  for (; t < trees; ++t) out[group_[t]] += leaf_value(roots_[t], row);
}

void Forest::predict(const float* x, size_t rows, float* out) const {
  // Blocks of rows walk each tree in turn while its nodes are in cache.
  constexpr size_t kBlock = 64;
  for (size_t b = 0; b < rows; b += kBlock) {
    predict_block(x + b * num_features_, std::min(kBlock, rows - b), out + b * outputs_);
  }
}

}  // namespace flowsentry::model
