#include "model/features.h"

#include <algorithm>

#include <nlohmann/json.hpp>

namespace flowsentry::model {

CategoryEncoder::CategoryEncoder(std::vector<std::string> values) : values_(std::move(values)) {
  for (size_t i = 0; i < values_.size(); ++i) index_.emplace(values_[i], static_cast<int>(i));
}

CategoryEncoder CategoryEncoder::fit(const std::unordered_map<std::string, size_t>& counts,
                                     size_t min_count, size_t max_values) {
  std::vector<std::pair<std::string, size_t>> v;
  for (const auto& [value, n] : counts) {
    if (n >= min_count && value != kOther) v.emplace_back(value, n);
  }
  std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (v.size() > max_values) v.resize(max_values);
  std::vector<std::string> values;
  values.reserve(v.size());
  for (auto& [value, n] : v) values.push_back(std::move(value));
  return CategoryEncoder(std::move(values));
}

int CategoryEncoder::encode(std::string_view value) const {
  auto it = index_.find(value);
  return it == index_.end() ? other() : it->second;
}

std::string_view CategoryEncoder::decode(int index) const {
  if (index >= 0 && static_cast<size_t>(index) < values_.size()) return values_[index];
  return kOther;
}

namespace {

// The flow fields each engineered ratio is computed from.
constexpr std::array<flow::FieldSet, kEngineeredCount> kEngineeredInputs{{
    {flow::kSbytes, flow::kDbytes},
    {flow::kSpkts, flow::kDpkts},
    {flow::kSttl, flow::kDttl},
}};

}  // namespace

FeatureSpace::FeatureSpace(CategoryEncoder proto, CategoryEncoder service, CategoryEncoder state,
                           const flow::Profile& profile)
    : proto_(std::move(proto)),
      service_(std::move(service)),
      state_(std::move(state)),
      profile_(&profile),
      columns_(columns_of(profile)) {
  for (uint8_t c : columns_) names_.push_back(full_names()[c]);
}

std::vector<uint8_t> FeatureSpace::columns_of(const flow::Profile& profile) {
  std::vector<uint8_t> out;
  for (size_t f = 0; f < flow::kFieldCount; ++f) {
    if (profile.fields.has(f)) out.push_back(static_cast<uint8_t>(f));
  }
  for (size_t e = 0; e < kEngineeredCount; ++e) {
    if (profile.fields.covers(kEngineeredInputs[e])) {
      out.push_back(static_cast<uint8_t>(kEngineeredIndex + e));
    }
  }
  return out;
}

FeatureSpace FeatureSpace::fit(std::span<const flow::FlowRecord> rows, size_t min_count,
                               const flow::Profile& profile) {
  std::unordered_map<std::string, size_t> proto, service, state;
  for (const auto& r : rows) {
    ++proto[r.proto];
    ++service[r.service];
    ++state[r.state];
  }
  constexpr size_t kMaxValues = 64;
  return FeatureSpace(CategoryEncoder::fit(proto, min_count, kMaxValues),
                      CategoryEncoder::fit(service, min_count, kMaxValues),
                      CategoryEncoder::fit(state, min_count, kMaxValues), profile);
}

void FeatureSpace::encode(const flow::FlowRecord& rec, float* out) const {
  if (columns_.size() == kFullSize) {
    encode_full(rec, out);
    return;
  }
  std::array<float, kFullSize> full;
  encode_full(rec, full.data());
  for (size_t i = 0; i < columns_.size(); ++i) out[i] = full[columns_[i]];
}

void FeatureSpace::encode_full(const flow::FlowRecord& rec, float* out) const {
  for (size_t i = 0; i < flow::kNumFieldCount; ++i) out[i] = static_cast<float>(rec.num[i]);
  out[kProtoIndex] = static_cast<float>(proto_.encode(rec.proto));
  out[kServiceIndex] = static_cast<float>(service_.encode(rec.service));
  out[kStateIndex] = static_cast<float>(state_.encode(rec.state));
  float* e = out + kEngineeredIndex;
  const double sb = rec[flow::kSbytes], db = rec[flow::kDbytes];
  const double sp = rec[flow::kSpkts], dp = rec[flow::kDpkts];
  e[kBytesRatio] = static_cast<float>(sb / (sb + db + 1.0));
  e[kPktsRatio] = static_cast<float>(sp / (sp + dp + 1.0));
  e[kTtlDiff] = static_cast<float>(rec[flow::kSttl] - rec[flow::kDttl]);
}

const std::array<std::string, FeatureSpace::kFullSize>& FeatureSpace::full_names() {
  static const auto kNames = [] {
    std::array<std::string, kFullSize> n;
    for (size_t i = 0; i < flow::kFieldCount; ++i) n[i] = std::string(flow::field_name(i));
    n[kEngineeredIndex + kBytesRatio] = "sbytes_share";
    n[kEngineeredIndex + kPktsRatio] = "spkts_share";
    n[kEngineeredIndex + kTtlDiff] = "sttl_minus_dttl";
    return n;
  }();
  return kNames;
}

nlohmann::json FeatureSpace::to_json() const {
  nlohmann::json j;
  j["proto"] = proto_.values();
  j["service"] = service_.values();
  j["state"] = state_.values();
  j["other"] = "index = number of values (unseen or rare values)";
  return j;
}

Result<FeatureSpace> FeatureSpace::from_json(const nlohmann::json& j,
                                             const flow::Profile& profile) {
  auto get = [&](const char* key) -> Result<CategoryEncoder> {
    if (!j.is_object() || !j.contains(key) || !j[key].is_array()) {
      return make_error(ErrorCode::kCorrupt,
                        std::string("encoder '") + key + "' is missing or not a list of strings");
    }
    std::vector<std::string> values;
    for (const auto& v : j[key]) {
      if (!v.is_string()) {
        return make_error(ErrorCode::kCorrupt,
                          std::string("encoder '") + key + "' holds a value that is not a string");
      }
      values.push_back(v.get<std::string>());
    }
    return CategoryEncoder(std::move(values));
  };
  auto p = get("proto");
  if (!p) return p.error();
  auto sv = get("service");
  if (!sv) return sv.error();
  auto st = get("state");
  if (!st) return st.error();
  return FeatureSpace(std::move(*p), std::move(*sv), std::move(*st), profile);
}

}  // namespace flowsentry::model
