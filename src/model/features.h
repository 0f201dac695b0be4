// Feature layout shared by training and scoring: the 39 numeric UNSW-NB15 fields, the three
// categorical columns as frequency-ordered indices (unseen or rare values go to an `other`
// bucket), and a few engineered ratios. The order here is the order in meta.json; changing it
// is a schema change (bump kSchemaVersion in artifact.h).
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "common/result.h"
#include "flow/flow_record.h"
#include "flow/profile.h"

namespace flowsentry::model {

// Maps a categorical value to a small integer: 0 is the most frequent value seen in training,
// values.size() is `other` (unseen, or seen fewer than min_count times).
class CategoryEncoder {
 public:
  CategoryEncoder() = default;
  explicit CategoryEncoder(std::vector<std::string> values);

  // Values seen at least `min_count` times, most frequent first (ties by name, so the result
  // does not depend on row order), at most `max_values` of them.
  static CategoryEncoder fit(const std::unordered_map<std::string, size_t>& counts,
                             size_t min_count, size_t max_values);

  int encode(std::string_view value) const;
  int other() const { return static_cast<int>(values_.size()); }
  // The value of an index; "other" for the other bucket.
  std::string_view decode(int index) const;
  const std::vector<std::string>& values() const { return values_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> values_;
  std::unordered_map<std::string, int, Hash, std::equal_to<>> index_;
};

inline constexpr std::string_view kOther = "other";

// Engineered features appended after the numeric fields and the categoricals.
enum Engineered : uint8_t { kBytesRatio, kPktsRatio, kTtlDiff, kEngineeredCount };

// The model's columns. The full layout is the 39 numeric fields, proto/service/state and the
// engineered ratios; a feature profile (flow/profile.h) keeps the columns whose fields it has
// (an engineered ratio only when all its inputs are in it), so the boosters of a profile's
// model never see the other features at all.
class FeatureSpace {
 public:
  static constexpr size_t kCategoricalCount = 3;  // proto, service, state
  static constexpr size_t kFullSize = flow::kNumFieldCount + kCategoricalCount + kEngineeredCount;
  // Full-layout positions; the first flow::kFieldCount columns are the flow fields in
  // flow::field order.
  static constexpr size_t kProtoIndex = flow::kProtoField;
  static constexpr size_t kServiceIndex = flow::kServiceField;
  static constexpr size_t kStateIndex = flow::kStateField;
  static constexpr size_t kEngineeredIndex = flow::kFieldCount;

  FeatureSpace() : FeatureSpace({}, {}, {}) {}
  FeatureSpace(CategoryEncoder proto, CategoryEncoder service, CategoryEncoder state,
               const flow::Profile& profile = flow::full_profile());

  // Learns the three encoders from records (min_count: rarer values go to `other`).
  static FeatureSpace fit(std::span<const flow::FlowRecord> rows, size_t min_count = 5,
                          const flow::Profile& profile = flow::full_profile());

  // Writes size() floats for one record: the profile's columns in full-layout order. No
  // allocation.
  void encode(const flow::FlowRecord& rec, float* out) const;

  size_t size() const { return columns_.size(); }
  const flow::Profile& profile() const { return *profile_; }
  // Column names in order (meta.json "features").
  const std::vector<std::string>& names() const { return names_; }
  // Full-layout positions of the columns, ascending.
  const std::vector<uint8_t>& columns() const { return columns_; }

  static const std::array<std::string, kFullSize>& full_names();
  // Full-layout positions a profile's model uses.
  static std::vector<uint8_t> columns_of(const flow::Profile& profile);

  const CategoryEncoder& proto() const { return proto_; }
  const CategoryEncoder& service() const { return service_; }
  const CategoryEncoder& state() const { return state_; }

  // The encoders (the profile is meta.json's own field).
  nlohmann::json to_json() const;
  static Result<FeatureSpace> from_json(const nlohmann::json& j,
                                        const flow::Profile& profile = flow::full_profile());

 private:
  void encode_full(const flow::FlowRecord& rec, float* out) const;

  CategoryEncoder proto_, service_, state_;
  const flow::Profile* profile_;
  std::vector<uint8_t> columns_;
  std::vector<std::string> names_;
};

}  // namespace flowsentry::model
