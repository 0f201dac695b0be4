#include "model/shadow.h"

#include <algorithm>
#include <cmath>

namespace flowsentry::model {

void ShadowStats::restart(std::string active_version, std::string shadow_version) {
  std::lock_guard lock(mu_);
  active_version_ = std::move(active_version);
  shadow_version_ = std::move(shadow_version);
  flows_ = agree_ = cat_agree_ = 0;
  active_anomalies_ = shadow_anomalies_ = only_active_ = only_shadow_ = 0;
  active_hist_.fill(0);
  shadow_hist_.fill(0);
}

size_t ShadowStats::bin(double score) {
  if (!std::isfinite(score) || score <= 0) return 0;
  return std::min(kBins - 1, static_cast<size_t>(score * kBins));
}

void ShadowStats::record(std::span<const Verdict> active, std::span<const Verdict> shadow) {
  const size_t n = std::min(active.size(), shadow.size());
  if (n == 0) return;
  std::lock_guard lock(mu_);
  if (active[0].model_version != active_version_ || shadow[0].model_version != shadow_version_) {
    return;
  }
  for (size_t i = 0; i < n; ++i) {
    const auto& a = active[i];
    const auto& s = shadow[i];
    ++flows_;
    agree_ += a.label == s.label;
    cat_agree_ += a.attack_cat == s.attack_cat;
    active_anomalies_ += a.label;
    shadow_anomalies_ += s.label;
    only_active_ += a.label && !s.label;
    only_shadow_ += s.label && !a.label;
    ++active_hist_[bin(a.score)];
    ++shadow_hist_[bin(s.score)];
  }
}

nlohmann::json ShadowStats::to_json() const {
  std::lock_guard lock(mu_);
  auto share = [&](uint64_t k) -> nlohmann::json {
    if (flows_ == 0) return nullptr;
    return static_cast<double>(k) / static_cast<double>(flows_);
  };
  auto bins = nlohmann::json::array();
  for (size_t i = 0; i <= kBins; ++i) bins.push_back(static_cast<double>(i) / kBins);
  return {{"active", active_version_},
          {"shadow",
           shadow_version_.empty() ? nlohmann::json(nullptr) : nlohmann::json(shadow_version_)},
          {"flows", flows_},
          {"agreement", share(agree_)},
          {"attack_cat_agreement", share(cat_agree_)},
          {"anomalies",
           {{"active", active_anomalies_},
            {"shadow", shadow_anomalies_},
            {"only_active", only_active_},
            {"only_shadow", only_shadow_}}},
          {"histograms", {{"bins", bins}, {"active", active_hist_}, {"shadow", shadow_hist_}}}};
}

}  // namespace flowsentry::model
