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
  return (shap_above_.size() + shap_internal_.size()) * sizeof(uint16_t) +
         shap_zero_.size() * sizeof(double) + shap_inv_q_.size() * sizeof(float) +
         shap_tree_.size() * sizeof(ShapTree);
}

void Forest::prepare_shap() {
  shap_tree_.assign(roots_.size(), {0, 0, 0, 0, 0});
  shap_above_.clear();
  shap_internal_.clear();
  shap_zero_.clear();
  shap_inv_q_.clear();
  for (size_t t = 0; t < roots_.size(); ++t) {
    const size_t lanes = lanes_for(depth_[t]);
    const size_t nodes = (t + 1 < roots_.size() ? roots_[t + 1] : nodes_.size()) - roots_[t];
    const size_t need =
        (nodes + 1) * (2 * sizeof(uint16_t) + sizeof(double) + lanes * sizeof(float));
    if (lanes == 0 || shap_bytes() + need > kMaxShapBytes) continue;
    prepare_linear_tree(t, lanes);
  }
  shap_above_.shrink_to_fit();
  shap_internal_.shrink_to_fit();
  shap_zero_.shrink_to_fit();
  shap_inv_q_.shrink_to_fit();
}

// The slots of one tree; false (the tree keeps the path-dependent algorithm) when a cover is
// not positive, where XGBoost's fractions would be 0/0.
bool Forest::prepare_linear_tree(size_t tree, size_t lanes) {
  const uint32_t root = roots_[tree];
  const size_t n = (tree + 1 < roots_.size() ? roots_[tree + 1] : nodes_.size()) - root;
  for (size_t i = root; i < root + n; ++i) {
    if (!(cover_[i] > 0) || !std::isfinite(cover_[i])) return false;
  }
  const auto spare = static_cast<uint16_t>(n);  // a depth-12 tree has at most 8191 nodes
  std::vector<uint32_t> parent(n, UINT32_MAX);
  for (uint32_t i = 0; i < n; ++i) {
    const Node& nd = nodes_[root + i];
    if (!nd.leaf) parent[nd.left - root] = parent[nd.left + 1 - root] = i;
  }
  const ShapTree st{static_cast<uint32_t>(shap_zero_.size()),
                    static_cast<uint32_t>(shap_inv_q_.size()),
                    static_cast<uint32_t>(shap_internal_.size()), 0, static_cast<uint8_t>(lanes)};
  shap_above_.resize(st.slots + n + 1, spare);
  shap_zero_.resize(st.slots + n + 1, 1.0);
  shap_inv_q_.resize(st.at + (n + 1) * lanes, 1.0f);
  uint16_t* above = &shap_above_[st.slots];
  double* zero = &shap_zero_[st.slots];
  const double* t = lanes == 4 ? quadrature<4>().t.data() : quadrature<8>().t.data();
  // Parents come before their children, so an ancestor's numbers are ready when a node needs them.
  for (uint32_t i = 0; i < n; ++i) {
    const Node& nd = nodes_[root + i];
    if (nd.leaf) continue;
    shap_internal_.push_back(static_cast<uint16_t>(i));
    uint32_t below = i;  // the nearest ancestor split on this feature, through its child `below`
    for (uint32_t a = parent[i]; a != UINT32_MAX; below = a, a = parent[a]) {
      if (nodes_[root + a].feature == nd.feature) {
        above[i] = static_cast<uint16_t>(below);
        break;
      }
    }
    for (uint32_t c = nd.left - root; c < nd.left - root + 2; ++c) {
      const double ratio =
          static_cast<double>(cover_[root + c]) / static_cast<double>(cover_[root + i]);
      zero[c] = zero[above[i]] * ratio;
      float* inv = &shap_inv_q_[st.at + c * lanes];
      for (size_t k = 0; k < lanes; ++k)
        inv[k] = static_cast<float>(1 / (t[k] + zero[c] * (1 - t[k])));
    }
  }
  shap_tree_[tree] = st;
  shap_tree_[tree].internal_count = static_cast<uint16_t>(shap_internal_.size() - st.internal);
  return true;
}

// Four lanes of doubles; V4u and V4fu are for memory aligned for one element. Values of these
// types never cross a function boundary (the ABI would depend on the target).
using V4 = double __attribute__((vector_size(32)));
using V4u = double __attribute__((vector_size(32), aligned(8)));
using V4fu = float __attribute__((vector_size(16), aligned(4)));

// The linear-time explainer over a Forest's trees, compiled twice: for the baseline x86-64 and,
// chosen at run time, for AVX2 with FMA (twice the lanes per instruction).
// 1 / q at o = 1 of a slot, lanes 4v..4v+3, as doubles. A macro, not a lambda: a lambda would
// be compiled for the baseline target even inside AVX2 code.
#define FLOWSENTRY_INV(slot, v) \
  __builtin_convertvector(*reinterpret_cast<const V4fu*>(inv + (slot)*kLanes + 4 * (v)), V4)

struct LinearShap {
  // One tree's contributions at kLanes quadrature points, added to acc's lanes (feature f's
  // at acc[f * Forest::kShapLanes]). The row's per-slot values live in per-thread buffers. No
  // branch depends on the row: which child the row takes and whether it took every earlier
  // edge on the feature select between values computed both ways.
  template <size_t kLanes>
  [[gnu::always_inline]] static inline void tree(const Forest& f, size_t tree, const float* row,
                                                 double* acc) {
    using M4 = int64_t __attribute__((vector_size(32)));  // lane masks: 0 or -1
    constexpr size_t kVecs = kLanes / 4;                  // vectors per slot
    const auto& q = quadrature<kLanes>();
    V4 t[kVecs], one_minus_t[kVecs], weight[kVecs], cold[kVecs];
    for (size_t v = 0; v < kVecs; ++v) {
      t[v] = *reinterpret_cast<const V4u*>(&q.t[4 * v]);
      one_minus_t[v] = *reinterpret_cast<const V4u*>(&q.one_minus_t[4 * v]);
      weight[v] = *reinterpret_cast<const V4u*>(&q.weight[4 * v]);
      cold[v] = *reinterpret_cast<const V4u*>(&q.cold[4 * v]);
    }
    const Forest::ShapTree st = f.shap_tree_[tree];
    const uint32_t root = f.roots_[tree];
    const size_t n = (tree + 1 < f.roots_.size() ? f.roots_[tree + 1] : f.nodes_.size()) - root;
    const size_t slots = n + 1;
    // Doubles, accessed as V4u: a 32-byte vector is only 16-byte aligned outside AVX code.
    thread_local std::vector<double> buffer;
    thread_local std::vector<uint8_t> takes_all;  // per slot: o of the feature split above it
    if (buffer.size() < 3 * slots * kLanes) buffer.resize(3 * slots * kLanes);  // only grows
    if (takes_all.size() < slots) takes_all.resize(slots);
    V4u* prod = reinterpret_cast<V4u*>(buffer.data());  // product of the path's q to the node
    V4u* sum = prod + slots * kVecs;                    // G: the leaves' v * prod below the node
    V4u* next = sum + slots * kVecs;  // G of the same feature's next splits below this edge
    uint8_t* one = takes_all.data();
    one[n] = 1;  // the spare slot: "no earlier edge on this feature", q = 1
    const Forest::Node* nodes = f.nodes_.data() + root;
    const uint16_t* internal = f.shap_internal_.data() + st.internal;
    const uint16_t* above = f.shap_above_.data() + st.slots;
    const double* zero = f.shap_zero_.data() + st.slots;
    const float* inv = f.shap_inv_q_.data() + st.at;

    for (size_t v = 0; v < kVecs; ++v) prod[v] = V4{1, 1, 1, 1};
    for (size_t k = 0; k < st.internal_count; ++k) {
      const uint32_t i = internal[k];
      const Forest::Node& nd = nodes[i];
      const float x = row[nd.feature];
      const uint32_t right = std::isnan(x) ? nd.default_left == 0 : !(x < nd.value);
      const uint32_t l = nd.left - root, a = above[i];
      const M4 before = M4{} - static_cast<int64_t>(one[a]);  // took every earlier edge on it
      const double inv_zero_before = 1 / zero[a];
      for (uint32_t side = 0; side < 2; ++side) {
        const uint32_t c = l + side;
        const double z = zero[c], take = side == right ? 1.0 : 0.0;
        const double ratio = z * inv_zero_before;  // q = z (1 - t) before and after
        const double value = nodes[c].value;       // a leaf's value; garbage for a split, unused
        for (size_t v = 0; v < kVecs; ++v) {
          const V4 q_one = (z * one_minus_t[v] + take * t[v]) * FLOWSENTRY_INV(a, v);
          const V4 q_zero = V4{} + ratio;
          const V4 pc = prod[i * kVecs + v] * (before ? q_one : q_zero);
          prod[c * kVecs + v] = pc;
          sum[c * kVecs + v] = value * pc;
          next[c * kVecs + v] = V4{};
        }
        one[c] = static_cast<uint8_t>(one[a] & (side == right));
      }
    }
    for (size_t k = st.internal_count; k-- > 0;) {
      const uint32_t i = internal[k];
      const Forest::Node& nd = nodes[i];
      const uint32_t l = nd.left - root;
      V4u* out = reinterpret_cast<V4u*>(acc + size_t{nd.feature} * Forest::kShapLanes);
      for (uint32_t c = l; c < l + 2; ++c) {
        const M4 took = M4{} - static_cast<int64_t>(one[c]);
        const double s = 1 - zero[c];
        for (size_t v = 0; v < kVecs; ++v) {
          const V4 hot = (s * weight[v]) * FLOWSENTRY_INV(c, v);
          out[v] += (took ? hot : cold[v]) * (sum[c * kVecs + v] - next[c * kVecs + v]);
        }
      }
      for (size_t v = 0; v < kVecs; ++v) {
        const V4 g = sum[l * kVecs + v] + sum[(l + 1) * kVecs + v];
        sum[i * kVecs + v] = g;
        next[above[i] * kVecs + v] += g;  // the spare slot takes it when there is no such edge
      }
    }
  }

#define FLOWSENTRY_LINEAR_TREES                                           \
  for (size_t t = 0; t < f.roots_.size(); ++t) {                          \
    double* a = acc + f.group_[t] * f.num_features_ * Forest::kShapLanes; \
    if (f.shap_tree_[t].lanes == 4) tree<4>(f, t, row, a);                \
    if (f.shap_tree_[t].lanes == 8) tree<8>(f, t, row, a);                \
  }

  // Every linear tree's contributions, added to acc.
  static void trees(const Forest& f, const float* row, double* acc) {
    FLOWSENTRY_LINEAR_TREES
  }
  __attribute__((target("avx2,fma"))) static void trees_avx2(const Forest& f, const float* row,
                                                             double* acc) {
    FLOWSENTRY_LINEAR_TREES
  }
#undef FLOWSENTRY_LINEAR_TREES
};
#undef FLOWSENTRY_INV

void Forest::contributions(const float* row, float* phi) const {
  const size_t nf = num_features_, width = nf + 1;
  std::fill_n(phi, outputs_ * width, 0.0f);
  if (!explainable()) return;
  thread_local std::vector<double> acc;
  acc.assign(outputs_ * nf * kShapLanes, 0.0);
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) {
    LinearShap::trees_avx2(*this, row, acc.data());
  } else {
    LinearShap::trees(*this, row, acc.data());
  }
  for (size_t t = 0; t < roots_.size(); ++t) {
    if (shap_tree_[t].lanes == 0) path_tree_shap(t, row, acc.data() + group_[t] * nf * kShapLanes);
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
