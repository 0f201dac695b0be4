// XGBoost 1.7's path-dependent TreeSHAP (Lundberg et al.), O(L D^2) a tree: the explainer for
// trees too deep for the linear-time one (forest_shap.cc). Equal to pred_contribs to float
// rounding.
#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "model/forest.h"

namespace flowsentry::model {

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

// One tree's contributions by XGBoost's algorithm, in float as it computes them, added to lane
// 0 of acc.
void Forest::path_tree_shap(size_t tree, const float* row, double* acc) const {
  thread_local std::vector<float> tree_phi;
  thread_local std::vector<shap::PathElement> path;
  const size_t most = max_depth_ + 2u;
  tree_phi.assign(num_features_, 0.0f);
  path.resize(most * (most + 1) / 2);
  tree_shap(row, tree_phi.data(), roots_[tree], 0, path.data(), 1, 1, -1);
  for (size_t c = 0; c < num_features_; ++c) acc[c * kShapLanes] += tree_phi[c];
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
