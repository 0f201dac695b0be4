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

// TreeSHAP's path bookkeeping, as XGBoost 1.7 does it (src/tree/tree_model.cc); the leaf step
// is rearranged for speed, so values agree with pred_contribs to float rounding.
namespace shap {

struct PathElement {
  int feature;
  float zero_fraction;
  float one_fraction;
  float pweight;  // permutation weight of the paths with this element's index ones in them
};

namespace {

// The constants of TreeSHAP's permutation weights for a path of `d` elements:
// (d + 1) / (i + 1), (d - i) / (d + 1), (d + 1) / (d - i) and (i + 1) / (d + 1). Multiplying
// by them instead of dividing is much of the native explainer's speed.
struct Ratios {
  std::array<std::array<float, kMaxShapDepth>, kMaxShapDepth> up, down, over, in;
  Ratios() {
    for (unsigned d = 0; d < kMaxShapDepth; ++d) {
      for (unsigned i = 0; i <= d; ++i) {
        up[d][i] = static_cast<float>(d + 1) / static_cast<float>(i + 1);
        down[d][i] = static_cast<float>(d - i) / static_cast<float>(d + 1);
        over[d][i] = i < d ? static_cast<float>(d + 1) / static_cast<float>(d - i) : 0.0f;
        in[d][i] = static_cast<float>(i + 1) / static_cast<float>(d + 1);
      }
    }
  }
};

const Ratios& ratios() {
  static const Ratios r;
  return r;
}

// Extends the path with a fraction of zero and one extensions.
void extend(PathElement* path, unsigned depth, float zero_fraction, float one_fraction,
            int feature) {
  path[depth] = {feature, zero_fraction, one_fraction, depth == 0 ? 1.0f : 0.0f};
  const auto& in = ratios().in[depth];
  const auto& down = ratios().down[depth];
  for (int i = static_cast<int>(depth) - 1; i >= 0; i--) {
    path[i + 1].pweight += one_fraction * path[i].pweight * in[i];
    path[i].pweight = zero_fraction * path[i].pweight * down[i];
  }
}

// Undoes an earlier extension, so a feature split on again is counted once.
void unwind(PathElement* path, unsigned depth, unsigned index) {
  const float one_fraction = path[index].one_fraction;
  const float zero_fraction = path[index].zero_fraction;
  float next_one_portion = path[depth].pweight;
  for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
    if (one_fraction != 0) {
      const float tmp = path[i].pweight;
      path[i].pweight = next_one_portion * static_cast<float>(depth + 1) /
                        (static_cast<float>(i + 1) * one_fraction);
      next_one_portion = tmp - path[i].pweight * zero_fraction * static_cast<float>(depth - i) /
                                   static_cast<float>(depth + 1);
    } else {
      path[i].pweight = (path[i].pweight * static_cast<float>(depth + 1)) /
                        (zero_fraction * static_cast<float>(depth - i));
    }
  }
  for (auto i = index; i < depth; ++i) {
    path[i].feature = path[i + 1].feature;
    path[i].zero_fraction = path[i + 1].zero_fraction;
    path[i].one_fraction = path[i + 1].one_fraction;
  }
}

// At a leaf: for each element e of the path (1..depth), the total permutation weight if it
// were unwound (XGBoost's UnwoundPathSum) times its (one - zero) fraction difference.
// One fractions are 0 or 1. For a zero, the sum is one shared sum over the path divided by
// the element's zero fraction, so its weight is minus that shared sum; the others unwind side
// by side in lanes, since they are independent. Equal to XGBoost's to float rounding.
void leaf_weights(const PathElement* path, unsigned depth, float* weight) {
  const auto& up = ratios().up[depth];
  const auto& down = ratios().down[depth];
  const auto& over = ratios().over[depth];
  float zero_sum = 0;
  for (int i = static_cast<int>(depth) - 1; i >= 0; --i) zero_sum += path[i].pweight * over[i];
  // Four lanes per vector; idle lanes compute zeros.
  using v4 = float __attribute__((vector_size(16)));
  constexpr unsigned kGroups = kMaxShapDepth / 4;
  std::array<v4, kGroups> zero, scale, next, total;
  for (unsigned g = 0; g < (depth + 3) / 4; ++g) zero[g] = scale[g] = next[g] = total[g] = v4{};
  std::array<unsigned, kMaxShapDepth> lane_of;
  unsigned lanes = 0;
  for (unsigned e = 1; e <= depth; ++e) {
    const auto& el = path[e];
    if (el.one_fraction == 0) {
      weight[e] = el.zero_fraction != 0 ? -zero_sum : 0;  // (zero_sum / zero) * (0 - zero)
      continue;
    }
    const unsigned g = lanes / 4, l = lanes % 4;
    lane_of[lanes++] = e;
    zero[g][l] = el.zero_fraction;
    scale[g][l] = 1.0f / el.one_fraction;
    next[g][l] = path[depth].pweight;
  }
  const unsigned groups = (lanes + 3) / 4;
  for (int i = static_cast<int>(depth) - 1; i >= 0; --i) {
    const float u = up[i], dn = down[i], pw = path[i].pweight;
    for (unsigned g = 0; g < groups; ++g) {
      const v4 tmp = next[g] * u * scale[g];
      total[g] += tmp;
      next[g] = pw - tmp * zero[g] * dn;
    }
  }
  for (unsigned l = 0; l < lanes; ++l) {
    const auto& el = path[lane_of[l]];
    weight[lane_of[l]] = total[l / 4][l % 4] * (el.one_fraction - el.zero_fraction);
  }
}

}  // namespace
}  // namespace shap

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

void Forest::contributions(const float* row, float* phi) const {
  const size_t width = num_features_ + 1;
  std::fill_n(phi, outputs_ * width, 0.0f);
  if (!explainable()) return;
  thread_local std::vector<float> tree_phi;
  thread_local std::vector<shap::PathElement> path;
  const size_t most = max_depth_ + 2u;
  tree_phi.resize(width);
  path.resize(most * (most + 1) / 2);
  for (size_t t = 0; t < roots_.size(); ++t) {
    // Per tree first, then added, as XGBoost does: the float sums come out the same.
    std::fill(tree_phi.begin(), tree_phi.end(), 0.0f);
    tree_phi[num_features_] += mean_[roots_[t]];
    tree_shap(row, tree_phi.data(), roots_[t], 0, path.data(), 1, 1, -1);
    float* out = phi + group_[t] * width;
    for (size_t c = 0; c < width; ++c) out[c] += tree_phi[c];
  }
  for (size_t g = 0; g < outputs_; ++g) phi[g * width + num_features_] += base_margin_;
}

// One node of XGBoost's recursive TreeShap: `parent` holds the path down to here, and this
// node's path is written just after it.
void Forest::tree_shap(const float* row, float* phi, uint32_t node, unsigned depth,
                       shap::PathElement* parent, float zero_fraction, float one_fraction,
                       int feature) const {
  shap::PathElement* path = parent + depth + 1;
  std::copy(parent, parent + depth + 1, path);
  shap::extend(path, depth, zero_fraction, one_fraction, feature);
  const Node& n = nodes_[node];
  if (n.leaf) {
    std::array<float, kMaxShapDepth> weight;
    shap::leaf_weights(path, depth, weight.data());
    for (unsigned i = 1; i <= depth; ++i) phi[path[i].feature] += weight[i] * n.value;
    return;
  }
  const float v = row[n.feature];
  const bool left = std::isnan(v) ? n.default_left != 0 : v < n.value;
  const uint32_t hot = n.left + (left ? 0u : 1u), cold = n.left + (left ? 1u : 0u);
  const float w = cover_[node];
  const float hot_zero_fraction = cover_[hot] / w;
  const float cold_zero_fraction = cover_[cold] / w;
  float incoming_zero_fraction = 1, incoming_one_fraction = 1;
  // A feature split on again: undo its earlier extension and redo it here.
  unsigned index = 0;
  while (index <= depth && path[index].feature != static_cast<int>(n.feature)) ++index;
  if (index != depth + 1) {
    incoming_zero_fraction = path[index].zero_fraction;
    incoming_one_fraction = path[index].one_fraction;
    shap::unwind(path, depth, index);
    depth -= 1;
  }
  tree_shap(row, phi, hot, depth + 1, path, hot_zero_fraction * incoming_zero_fraction,
            incoming_one_fraction, n.feature);
  tree_shap(row, phi, cold, depth + 1, path, cold_zero_fraction * incoming_zero_fraction, 0,
            n.feature);
}

}  // namespace flowsentry::model
