// ShadowStats: how a candidate (shadow) model compares with the active one on the same flows —
// agreement on the label, both score distributions, and the anomalies each would have raised —
// so an analyst promotes on evidence. Kept in memory; thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "model/verdict.h"

namespace flowsentry::model {

class ShadowStats {
 public:
  static constexpr size_t kBins = 20;  // score histograms over [0, 1]

  // Forgets everything; the pair being compared from now on.
  void restart(std::string active_version, std::string shadow_version);
  // active[i] and shadow[i] are the two models' verdicts on the same flow. Pairs scored by other
  // versions than the current pair (a batch in flight across a swap) are not counted.
  void record(std::span<const Verdict> active, std::span<const Verdict> shadow);

  // {"active","shadow","flows","agreement","attack_cat_agreement","anomalies":{"active",
  //  "shadow","only_active","only_shadow"},"histograms":{"bins","active":[..],"shadow":[..]}}
  nlohmann::json to_json() const;

 private:
  static size_t bin(double score);

  mutable std::mutex mu_;
  std::string active_version_, shadow_version_;
  uint64_t flows_ = 0, agree_ = 0, cat_agree_ = 0;
  uint64_t active_anomalies_ = 0, shadow_anomalies_ = 0, only_active_ = 0, only_shadow_ = 0;
  std::array<uint64_t, kBins> active_hist_{}, shadow_hist_{};
};

}  // namespace flowsentry::model
