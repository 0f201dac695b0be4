// Forest: a native evaluator for the gbtree models our trainer writes, so scoring one flow does
// not pay for a trip through the XGBoost C API (~150 us). Loaded once from the UBJ/JSON model
// into one flat node array (TreeSHAP walks it) and, for prediction, each tree padded to a
// perfect tree (forest_predict.cc); evaluation matches XGBoost 1.7's CPU predictor: go left
// when value < threshold (float32), NaN takes the node's default direction, leaf values are
// summed in float in tree order onto base_score's margin, then sigmoid or softmax.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"

namespace flowsentry::model {

// Trees deeper than this are explained by XGBoost, not natively.
constexpr unsigned kMaxShapDepth = 64;
// Trees up to this deep are explained by linear-time TreeSHAP (forest_shap.cc), which keeps
// a few numbers per node; deeper ones by the path-dependent algorithm (forest_path_shap.cc).
constexpr unsigned kMaxLinearShapDepth = 12;
// At most this many bytes of those numbers per forest; trees past it use the path-dependent
// algorithm too.
constexpr size_t kMaxShapBytes = size_t{256} << 20;
// Trees up to this deep are padded to perfect trees for prediction (2^(depth + 1) - 1 slots);
// deeper ones are walked node by node.
constexpr unsigned kMaxPaddedDepth = 10;

namespace shap {
struct PathElement;  // one step of the decision path TreeSHAP keeps while it descends
}
struct LinearShap;  // the linear-time explainer (forest_shap.cc)

class Forest {
 public:
  enum class Objective : uint8_t { kLogistic, kSoftprob };

  // From XGBoosterSaveModelToBuffer bytes, UBJ (exact float32 thresholds) or JSON.
  // kIncompatible for anything but a gbtree model with numerical splits and a binary:logistic
  // or multi:softprob objective; kCorrupt for a malformed one.
  static Result<Forest> load(std::string_view model);

  // Probabilities for `rows` row-major rows of num_features() floats (NaN = missing):
  // rows x outputs() values. No allocation; safe to call from any number of threads.
  void predict(const float* x, size_t rows, float* out) const;

  // TreeSHAP (Lundberg et al., path-dependent) of one row in margin units, the values XGBoost
  // 1.7's pred_contribs computes: outputs() x (num_features() + 1) values, the last of each
  // output the bias (base margin plus each tree's expected value). Trees up to
  // kMaxLinearShapDepth deep go through linear-time TreeSHAP (forest_shap.cc), deeper ones
  // through XGBoost's algorithm. Needs the nodes' covers (sum_hessian): explainable() is false
  // for a model without them.
  void contributions(const float* row, float* phi) const;
  bool explainable() const { return !cover_.empty() && max_depth_ + 2u < kMaxShapDepth; }
  // Trees explained in linear time, and the bytes their per-node numbers take.
  size_t linear_shap_trees() const;
  size_t shap_bytes() const;

  size_t num_features() const { return num_features_; }
  size_t outputs() const { return outputs_; }  // 1 (binary) or the number of classes
  size_t trees() const { return roots_.size(); }

 private:
  friend struct LinearShap;
  // The trees as loaded: TreeSHAP walks these, and so does prediction for a tree too deep to
  // pad. Children of a node are adjacent (right = left + 1), so a step is one add.
  struct Node {
    float value;       // split threshold, or the leaf value
    uint16_t feature;  // split feature (0 for a leaf)
    uint8_t default_left;
    uint8_t leaf;
    uint32_t left;  // index of the left child in nodes_ (a leaf's own index)
  };

  // A tree padded to depth d for prediction: heap order from `at` in split_value_ and
  // split_feature_, the children of slot i at 2i + 1 (left) and 2i + 2; slots 2^d - 1 on hold
  // the 2^d leaf values. A leaf above depth d becomes splits whose leaves below all carry
  // its value, so every walk takes exactly d steps and no step tests for a leaf.
  struct Padded {
    uint32_t at;  // kUnpadded: deeper than kMaxPaddedDepth, walked on nodes_
    uint8_t depth;
  };
  static constexpr uint32_t kUnpadded = UINT32_MAX;

  void pad_tree(size_t tree);
  void pad_node(uint32_t node, uint32_t at, size_t slot, unsigned level, unsigned depth);
  float leaf_value(uint32_t root, const float* row) const;
  float tree_value(size_t tree, const float* row, bool missing) const;
  void tree_shap(const float* row, float* phi, uint32_t node, unsigned depth,
                 shap::PathElement* parent, float zero_fraction, float one_fraction,
                 int feature) const;
  void fill_means(uint32_t root);
  // Linear TreeSHAP (forest_shap.cc): per-node numbers made once at load, and one tree's
  // contributions added to acc (num_features() x kShapLanes doubles, lanes summed at the end).
  void prepare_shap();
  bool prepare_linear_tree(size_t tree, size_t lanes);
  void path_tree_shap(size_t tree, const float* row, double* acc) const;
  void add_row(const float* row, float* out) const;
  template <bool kMissing>
  void walk_trees(size_t first, const float* row, float* out) const;
  void predict_block(const float* x, size_t rows, float* out) const;
  Status add_tree(const nlohmann::json& tree, size_t group);

  std::vector<Node> nodes_;
  std::vector<uint32_t> roots_;
  std::vector<uint8_t> depth_;   // levels below each root
  std::vector<uint16_t> group_;  // output each tree adds to (tree_info)
  std::vector<float> cover_;     // per node: sum_hessian, the training weight reaching it
  std::vector<float> mean_;      // per node: cover-weighted mean of the leaves below it
  // Linear TreeSHAP, per tree: lanes (quadrature points, 4 or 8; 0: the path-dependent
  // algorithm), where its slots start in shap_above_ and shap_zero_ (one per node, in tree
  // order, then one spare), its 1/q values in shap_inv_q_ (lanes a slot) and its internal
  // nodes in shap_internal_.
  struct ShapTree {
    uint32_t slots;
    uint32_t at;
    uint32_t internal;
    uint16_t internal_count;
    uint8_t lanes;
  };
  std::vector<ShapTree> shap_tree_;
  // Per slot of a linear tree (see forest_shap.cc): for an internal node, the slot of its
  // nearest ancestor's child edge on the same feature (the spare slot when there is none); the
  // zero fraction z of the feature split on just above the node (the product of the cover
  // ratios of its edges so far; 1 in the spare); 1 / (t + z (1 - t)) at each quadrature point
  // t (float: it only scales). Internal nodes are listed parents first, as tree-local indices.
  static constexpr size_t kShapLanes = 8;  // lanes of a contribution accumulator
  std::vector<uint16_t> shap_above_, shap_internal_;
  std::vector<double> shap_zero_;
  std::vector<float> shap_inv_q_;
  std::vector<Padded> padded_;           // per tree
  std::vector<float> split_value_;       // padded trees: thresholds, then leaf values
  std::vector<uint16_t> split_feature_;  // padded trees: feature, top bit: NaN goes right
  uint8_t max_depth_ = 0;
  Objective objective_ = Objective::kLogistic;
  float base_margin_ = 0;
  size_t num_features_ = 0;
  size_t outputs_ = 1;
};

}  // namespace flowsentry::model
