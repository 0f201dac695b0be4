// Linear TreeSHAP (Yu et al., "Linear TreeShap", NeurIPS 2022): the path-dependent SHAP values
// XGBoost's pred_contribs computes, in O(nodes x quadrature points) a tree instead of
// O(leaves x depth^2).
//
// For a leaf l with value v, let P be the distinct features split on along its path; for each
// j in P, z_j is the product of the cover ratios of the path's edges on j, and o_j is 1 when the
// row takes every one of those edges, else 0. TreeSHAP's permutation weights are
// |S|! (|P| - |S| - 1)! / |P|! = integral over [0, 1] of t^|S| (1 - t)^(|P| - |S| - 1), so
// summing over the subsets S turns into one integral of a product:
//
//   phi_i += v (o_i - z_i) * integral_0^1 prod_{j in P, j != i} q_j(t) dt,  q_j = o_j t + z_j (1 -
//   t)
//
// The integrand is a polynomial of degree |P| - 1 <= depth - 1, so Gauss-Legendre quadrature
// with 4 points (trees up to 8 deep) or 8 points (up to 12) integrates it exactly; everything is
// done on the values at those points (lanes). A pass down the tree multiplies each node's
// product of q by its edge's q (dividing out the feature's earlier q when the feature repeats);
// a pass up sums the leaves' v * prod q below each node (G), and each edge on feature i adds
// (o - z) / q_i * G to phi_i, less what the same feature's next splits below account for
// themselves. Per node this needs z, the edge's cover ratio and 1 / q at o = 1, made once at
// load. Values are computed in double and equal XGBoost's float ones to float rounding.
#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>
#include <vector>

#include "model/forest.h"

namespace flowsentry::model {
namespace {

// Gauss-Legendre quadrature on [0, 1] with kPoints points: exact for polynomials of degree up
// to 2 kPoints - 1. `cold` is the weight an edge the row does not take (o = 0) gives its
// feature: (0 - z) / (z (1 - t)) = -1 / (1 - t), times the point's weight.
template <size_t kPoints>
struct Quadrature {
  std::array<double, kPoints> t, one_minus_t, weight, cold;
  Quadrature() {
    for (size_t i = 0; i < kPoints; ++i) {
      const double n = kPoints;
      double x = std::cos(std::numbers::pi * (static_cast<double>(i) + 0.75) / (n + 0.5));
      double derivative = 1;
      for (int it = 0; it < 100; ++it) {  // Newton's method on the Legendre polynomial P_n
        double p0 = 1, p1 = x;
        for (size_t j = 2; j <= kPoints; ++j) {
          const double jd = static_cast<double>(j);
          const double p2 = ((2 * jd - 1) * x * p1 - (jd - 1) * p0) / jd;
          p0 = p1;
          p1 = p2;
        }
        derivative = n * (x * p1 - p0) / (x * x - 1);
        const double step = p1 / derivative;
        x -= step;
        if (std::fabs(step) < 1e-16) break;
      }
      t[i] = (x + 1) / 2;
      one_minus_t[i] = 1 - t[i];
      weight[i] = 1 / ((1 - x * x) * derivative * derivative);  // 2 / (...) halved for [0, 1]
      cold[i] = -weight[i] / one_minus_t[i];
    }
  }
};

template <size_t kPoints>
const Quadrature<kPoints>& quadrature() {
  static const Quadrature<kPoints> q;
  return q;
}

// Quadrature points for a tree of `depth` levels, 0 when it is too deep for linear TreeSHAP.
size_t lanes_for(unsigned depth) {
  if (depth <= 8) return 4;
  return depth <= kMaxLinearShapDepth ? 8 : 0;
}

}  // namespace

size_t Forest::linear_shap_trees() const {
  return static_cast<size_t>(std::count_if(shap_tree_.begin(), shap_tree_.end(),
                                           [](const ShapTree& s) { return s.lanes != 0; }));
}

size_t Forest::shap_bytes() const {
  return shap_above_.size() * sizeof(uint32_t) +
         (shap_zero_.size() + shap_ratio_.size() + shap_inv_q_.size()) * sizeof(double) +
         shap_tree_.size() * sizeof(ShapTree);
}

void Forest::prepare_shap() {
  shap_tree_.assign(roots_.size(), {0, 0});
  shap_above_.assign(nodes_.size(), kNoNode);
  shap_zero_.assign(nodes_.size(), 1.0);
  shap_ratio_.assign(nodes_.size(), 1.0);
  shap_inv_q_.clear();
  const size_t per_node = sizeof(uint32_t) + 2 * sizeof(double);
  size_t bytes = nodes_.size() * per_node;
  for (size_t t = 0; t < roots_.size(); ++t) {
    const size_t lanes = lanes_for(depth_[t]);
    const size_t end = t + 1 < roots_.size() ? roots_[t + 1] : nodes_.size();
    const size_t need = (end - roots_[t]) * lanes * sizeof(double);
    if (lanes == 0 || bytes + need > kMaxShapBytes) continue;
    if (prepare_linear_tree(t, lanes)) bytes += need;
  }
  shap_inv_q_.shrink_to_fit();
}

// The per-node numbers of one tree; false (the tree keeps the path-dependent algorithm) when a
// cover is not positive, where XGBoost's fractions would be 0/0.
bool Forest::prepare_linear_tree(size_t tree, size_t lanes) {
  const uint32_t root = roots_[tree];
  const size_t n = (tree + 1 < roots_.size() ? roots_[tree + 1] : nodes_.size()) - root;
  for (size_t i = root; i < root + n; ++i) {
    if (!(cover_[i] > 0) || !std::isfinite(cover_[i])) return false;
  }
  std::vector<uint32_t> parent(n, kNoNode);
  for (uint32_t i = 0; i < n; ++i) {
    const Node& nd = nodes_[root + i];
    if (!nd.leaf) parent[nd.left - root] = parent[nd.left + 1 - root] = i;
  }
  const auto at = static_cast<uint32_t>(shap_inv_q_.size());
  shap_inv_q_.resize(at + n * lanes, 1.0);
  const double* t = lanes == 4 ? quadrature<4>().t.data() : quadrature<8>().t.data();
  // Parents come before their children, so an ancestor's numbers are ready when a node needs them.
  for (uint32_t i = 0; i < n; ++i) {
    const Node& nd = nodes_[root + i];
    if (nd.leaf) continue;
    uint32_t below = i;  // the nearest ancestor split on this feature, through its child `below`
    for (uint32_t a = parent[i]; a != kNoNode; below = a, a = parent[a]) {
      if (nodes_[root + a].feature == nd.feature) {
        shap_above_[root + i] = root + below;
        break;
      }
    }
    const uint32_t above = shap_above_[root + i];
    const double zero_before = above == kNoNode ? 1.0 : shap_zero_[above];
    for (uint32_t c = nd.left; c < nd.left + 2; ++c) {
      shap_ratio_[c] = static_cast<double>(cover_[c]) / static_cast<double>(cover_[root + i]);
      shap_zero_[c] = zero_before * shap_ratio_[c];
      double* inv = &shap_inv_q_[at + (c - root) * lanes];
      for (size_t k = 0; k < lanes; ++k) inv[k] = 1 / (t[k] + shap_zero_[c] * (1 - t[k]));
    }
  }
  shap_tree_[tree] = {at, static_cast<uint8_t>(lanes)};
  return true;
}

// One tree's contributions at kLanes quadrature points, added to acc's lanes (feature f's at
// acc[f * kShapLanes]). The row's per-node values live in per-thread buffers.
template <size_t kLanes>
void Forest::linear_tree_shap(size_t tree, const float* row, double* acc) const {
  const auto& q = quadrature<kLanes>();
  const uint32_t root = roots_[tree];
  const size_t n = (tree + 1 < roots_.size() ? roots_[tree + 1] : nodes_.size()) - root;
  thread_local std::vector<double> buffer;
  thread_local std::vector<uint8_t> takes_all;  // per node: o of the feature split above it
  buffer.resize(3 * n * kLanes);
  takes_all.resize(n);
  double* prod = buffer.data();     // product of the path's q down to the node
  double* sum = prod + n * kLanes;  // G: the leaves' v * prod below the node
  double* next = sum + n * kLanes;  // G of the same feature's next splits below this edge
  uint8_t* one = takes_all.data();
  const Node* nodes = nodes_.data() + root;
  const uint32_t* above = shap_above_.data();
  const double* zero = shap_zero_.data();
  const double* ratio = shap_ratio_.data();
  const double* inv = shap_inv_q_.data() + shap_tree_[tree].at;
  static constexpr std::array<double, kLanes> kOnes = [] {
    std::array<double, kLanes> a{};
    a.fill(1.0);
    return a;
  }();

  std::fill_n(prod, kLanes, 1.0);
  for (uint32_t i = 0; i < n; ++i) {
    const Node& nd = nodes[i];
    const double* pi = prod + i * kLanes;
    if (nd.leaf) {
      for (size_t k = 0; k < kLanes; ++k) sum[i * kLanes + k] = nd.value * pi[k];
      continue;
    }
    const float v = row[nd.feature];
    const bool left = std::isnan(v) ? nd.default_left != 0 : v < nd.value;
    const uint32_t l = nd.left - root, hot = l + (left ? 0u : 1u);
    const uint32_t a = above[root + i];
    const bool all_before = a == kNoNode || one[a - root];
    const double* inv_before = a == kNoNode ? kOnes.data() : inv + (a - root) * kLanes;
    for (uint32_t c = l; c < l + 2; ++c) {
      double* pc = prod + c * kLanes;
      std::fill_n(next + c * kLanes, kLanes, 0.0);
      if (!all_before) {  // q = z (1 - t) before and after: only z changes
        const double r = ratio[root + c];
        for (size_t k = 0; k < kLanes; ++k) pc[k] = pi[k] * r;
        one[c] = 0;
        continue;
      }
      const double z = zero[root + c], take = c == hot ? 1.0 : 0.0;
      for (size_t k = 0; k < kLanes; ++k) {
        pc[k] = pi[k] * (take * q.t[k] + z * q.one_minus_t[k]) * inv_before[k];
      }
      one[c] = c == hot;
    }
  }
  for (uint32_t i = static_cast<uint32_t>(n); i-- > 0;) {
    const Node& nd = nodes[i];
    if (nd.leaf) continue;
    const uint32_t l = nd.left - root;
    double* out = acc + size_t{nd.feature} * kShapLanes;
    for (uint32_t c = l; c < l + 2; ++c) {
      const double* gc = sum + c * kLanes;
      const double* nc = next + c * kLanes;
      if (one[c]) {
        const double s = 1 - zero[root + c];
        const double* ic = inv + c * kLanes;
        for (size_t k = 0; k < kLanes; ++k) out[k] += s * q.weight[k] * ic[k] * (gc[k] - nc[k]);
      } else {
        for (size_t k = 0; k < kLanes; ++k) out[k] += q.cold[k] * (gc[k] - nc[k]);
      }
    }
    double* gi = sum + i * kLanes;
    for (size_t k = 0; k < kLanes; ++k) gi[k] = sum[l * kLanes + k] + sum[(l + 1) * kLanes + k];
    if (const uint32_t a = above[root + i]; a != kNoNode) {
      double* na = next + (a - root) * kLanes;
      for (size_t k = 0; k < kLanes; ++k) na[k] += gi[k];
    }
  }
}

void Forest::contributions(const float* row, float* phi) const {
  const size_t nf = num_features_, width = nf + 1;
  std::fill_n(phi, outputs_ * width, 0.0f);
  if (!explainable()) return;
  thread_local std::vector<double> acc;
  acc.assign(outputs_ * nf * kShapLanes, 0.0);
  for (size_t t = 0; t < roots_.size(); ++t) {
    double* a = acc.data() + group_[t] * nf * kShapLanes;
    switch (shap_tree_[t].lanes) {
      case 4:
        linear_tree_shap<4>(t, row, a);
        break;
      case 8:
        linear_tree_shap<8>(t, row, a);
        break;
      default:
        path_tree_shap(t, row, a);
    }
    // The bias in float, tree by tree, as XGBoost adds it.
    phi[group_[t] * width + nf] += mean_[roots_[t]];
  }
  for (size_t g = 0; g < outputs_; ++g) {
    for (size_t c = 0; c < nf; ++c) {
      const double* lanes = &acc[(g * nf + c) * kShapLanes];
      double total = 0;
      for (size_t k = 0; k < kShapLanes; ++k) total += lanes[k];
      phi[g * width + c] = static_cast<float>(total);
    }
    phi[g * width + nf] += base_margin_;
  }
}

}  // namespace flowsentry::model
