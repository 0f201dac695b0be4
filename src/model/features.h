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

class FeatureSpace {
 public:
  static constexpr size_t kCategoricalCount = 3;  // proto, service, state
  static constexpr size_t kSize = flow::kNumFieldCount + kCategoricalCount + kEngineeredCount;
  static constexpr size_t kProtoIndex = flow::kNumFieldCount;
  static constexpr size_t kServiceIndex = flow::kNumFieldCount + 1;
  static constexpr size_t kStateIndex = flow::kNumFieldCount + 2;

  FeatureSpace() = default;
  FeatureSpace(CategoryEncoder proto, CategoryEncoder service, CategoryEncoder state)
      : proto_(std::move(proto)), service_(std::move(service)), state_(std::move(state)) {}

  // Learns the three encoders from records (min_count: rarer values go to `other`).
  static FeatureSpace fit(std::span<const flow::FlowRecord> rows, size_t min_count = 5);

  // Writes kSize floats for one record. No allocation.
  void encode(const flow::FlowRecord& rec, float* out) const;

  static const std::array<std::string, kSize>& names();
  const CategoryEncoder& proto() const { return proto_; }
  const CategoryEncoder& service() const { return service_; }
  const CategoryEncoder& state() const { return state_; }

  nlohmann::json to_json() const;
  static Result<FeatureSpace> from_json(const nlohmann::json& j);

 private:
  CategoryEncoder proto_, service_, state_;
};

}  // namespace flowsentry::model
