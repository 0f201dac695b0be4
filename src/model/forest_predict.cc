// Forest prediction: trees padded to perfect trees, walked several at a time. A padded step is
// `i = 2i + 1 + right`, with no child index to load and no leaf to test; a block of rows with
// no missing value skips the default-direction rule as well.
#include <algorithm>
#include <cmath>
#include <limits>

#include "model/forest.h"

namespace flowsentry::model {
namespace {

// In split_feature_: the top bit says NaN goes right at this split (XGBoost's default_left is
// false); the feature index is below it.
constexpr uint16_t kMissingRight = 0x8000;
constexpr uint16_t kFeatureMask = kMissingRight - 1;

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

bool any_missing(const float* x, size_t n) {
  bool missing = false;
  for (size_t i = 0; i < n; ++i) missing |= std::isnan(x[i]);
  return missing;
}

// One step down a padded tree: right when the value is not below the threshold or, with
// kMissing, when it is NaN and the split sends NaN right. Without kMissing, NaN would go left
// at every split, so the caller has made sure there is none. Branch-free: the branch would be
// a coin toss.
template <bool kMissing>
inline uint32_t step(const float* value, const uint16_t* feature, uint32_t i, const float* row) {
  const unsigned f = feature[i];
  const float v = row[f & kFeatureMask];
  unsigned right = static_cast<unsigned>(v >= value[i]);
  if constexpr (kMissing) right |= (f >> 15) & static_cast<unsigned>(v != v);
  return 2 * i + 1 + right;
}

// Rows walked through one tree side by side: each walk is a chain of dependent loads, so
// several in flight keep the core busy while one waits.
constexpr size_t kLanes = 8;
// Trees walked side by side for one row: their deeper levels are mostly out of cache, so
// more walks in flight hide more of the wait.
constexpr size_t kTreeLanes = 16;

// `rows` (a multiple of kLanes) rows of `nf` values through one padded tree of `depth`, each
// leaf added to out[r * k].
template <bool kMissing>
void walk_rows(const float* value, const uint16_t* feature, unsigned depth, const float* x,
               size_t nf, size_t rows, float* out, size_t k) {
  for (size_t r = 0; r < rows; r += kLanes) {
    const float* row = x + r * nf;
    uint32_t at[kLanes] = {};
    for (unsigned d = 0; d < depth; ++d) {
#pragma GCC unroll 8
      for (size_t l = 0; l < kLanes; ++l)
        at[l] = step<kMissing>(value, feature, at[l], row + l * nf);
    }
    for (size_t l = 0; l < kLanes; ++l) out[(r + l) * k] += value[at[l]];
  }
}

}  // namespace

void Forest::pad_tree(size_t tree) {
  const unsigned depth = depth_[tree];
  if (depth > kMaxPaddedDepth || num_features_ > kFeatureMask + 1u) {
    padded_.push_back({kUnpadded, static_cast<uint8_t>(depth)});
    return;
  }
  const auto at = static_cast<uint32_t>(split_value_.size());
  const size_t slots = (size_t{2} << depth) - 1;
  split_value_.resize(at + slots);
  split_feature_.resize(at + slots);
  pad_node(roots_[tree], at, 0, 0, depth);
  padded_.push_back({at, static_cast<uint8_t>(depth)});
}

// Fills slot `slot` (level `level`) of the padded tree at `at` from `node`, then the slots
// below it. A leaf above the last level fills a split whose children both repeat the leaf, so
// whichever way a walk goes there, it ends on the leaf's value.
void Forest::pad_node(uint32_t node, uint32_t at, size_t slot, unsigned level, unsigned depth) {
  const Node& n = nodes_[node];
  if (level == depth) {
    split_value_[at + slot] = n.value;  // a leaf: no node is deeper than the tree's depth
    return;
  }
  if (n.leaf) {
    split_value_[at + slot] = std::numeric_limits<float>::infinity();
    split_feature_[at + slot] = 0;
    pad_node(node, at, 2 * slot + 1, level + 1, depth);
    pad_node(node, at, 2 * slot + 2, level + 1, depth);
    return;
  }
  split_value_[at + slot] = n.value;
  split_feature_[at + slot] =
      static_cast<uint16_t>(n.feature | (n.default_left ? 0u : unsigned{kMissingRight}));
  pad_node(n.left, at, 2 * slot + 1, level + 1, depth);
  pad_node(n.left + 1, at, 2 * slot + 2, level + 1, depth);
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

// One tree's leaf for one row; `missing`: the row may hold NaN.
float Forest::tree_value(size_t tree, const float* row, bool missing) const {
  const Padded p = padded_[tree];
  if (p.at == kUnpadded) return leaf_value(roots_[tree], row);
  const float* value = split_value_.data() + p.at;
  const uint16_t* feature = split_feature_.data() + p.at;
  uint32_t at = 0;
  for (unsigned d = 0; d < p.depth; ++d) {
    at = missing ? step<true>(value, feature, at, row) : step<false>(value, feature, at, row);
  }
  return value[at];
}

// All trees over up to kBlock rows. The sum per output is in tree order, as in XGBoost, so the
// float results agree.
void Forest::predict_block(const float* x, size_t rows, float* out) const {
  const size_t k = outputs_, nf = num_features_;
  const size_t full = rows - rows % kLanes;
  std::fill_n(out, rows * k, base_margin_);
  const bool missing = any_missing(x, full * nf);
  for (size_t t = 0; t < padded_.size(); ++t) {
    const Padded p = padded_[t];
    float* o = out + group_[t];
    if (p.at == kUnpadded) {
      for (size_t r = 0; r < full; ++r) o[r * k] += leaf_value(roots_[t], x + r * nf);
      continue;
    }
    const float* value = split_value_.data() + p.at;
    const uint16_t* feature = split_feature_.data() + p.at;
    if (missing) {
      walk_rows<true>(value, feature, p.depth, x, nf, full, o, k);
    } else {
      walk_rows<false>(value, feature, p.depth, x, nf, full, o, k);
    }
  }
  for (size_t r = full; r < rows; ++r) add_row(x + r * nf, out + r * k);
  if (objective_ == Objective::kLogistic) {
    for (size_t i = 0; i < rows; ++i) out[i] = 1.0f / (1.0f + std::exp(-out[i]));
  } else {
    for (size_t i = 0; i < rows; ++i) softmax(out + i * k, k);
  }
}

// kLanes padded trees side by side over one row; a tree shallower than the deepest of them
// stays on its leaf once there. Leaves are added in tree order.
template <bool kMissing>
void Forest::walk_trees(size_t first, const float* row, float* out) const {
  const float* value[kTreeLanes];
  const uint16_t* feature[kTreeLanes];
  unsigned depth[kTreeLanes], deepest = 0;
  uint32_t at[kTreeLanes] = {};
  for (size_t l = 0; l < kTreeLanes; ++l) {
    const Padded p = padded_[first + l];
    value[l] = split_value_.data() + p.at;
    feature[l] = split_feature_.data() + p.at;
    depth[l] = p.depth;
    deepest = std::max(deepest, depth[l]);
  }
  for (unsigned d = 0; d < deepest; ++d) {
#pragma GCC unroll 16
    for (size_t l = 0; l < kTreeLanes; ++l) {
      // On its leaf level a tree's feature slots are zero, so the step reads in bounds.
      const uint32_t next = step<kMissing>(value[l], feature[l], at[l], row);
      at[l] = d < depth[l] ? next : at[l];
    }
  }
  for (size_t l = 0; l < kTreeLanes; ++l) out[group_[first + l]] += value[l][at[l]];
}

// One row through all trees, kTreeLanes trees side by side.
void Forest::add_row(const float* row, float* out) const {
  const bool missing = any_missing(row, num_features_);
  const size_t trees = padded_.size();
  size_t t = 0;
  while (t + kTreeLanes <= trees) {
    bool padded = true;
    for (size_t l = 0; l < kTreeLanes; ++l) padded = padded && padded_[t + l].at != kUnpadded;
    if (!padded) {
      out[group_[t]] += tree_value(t, row, missing);
      ++t;
      continue;
    }
    if (missing) {
      walk_trees<true>(t, row, out);
    } else {
      walk_trees<false>(t, row, out);
    }
    t += kTreeLanes;
  }
  for (; t < trees; ++t) out[group_[t]] += tree_value(t, row, missing);
}

void Forest::predict(const float* x, size_t rows, float* out) const {
  // Blocks of rows walk each tree in turn while its nodes are in cache.
  constexpr size_t kBlock = 128;
  for (size_t b = 0; b < rows; b += kBlock) {
    predict_block(x + b * num_features_, std::min(kBlock, rows - b), out + b * outputs_);
  }
}

}  // namespace flowsentry::model
