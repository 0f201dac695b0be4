#include "model/scorer.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace flowsentry::model {
namespace {

constexpr size_t kF = FeatureSpace::kSize;

// Per-thread feature buffer: grows to the largest batch a thread has seen, then is reused.
std::vector<float>& feature_buffer(size_t rows) {
  thread_local std::vector<float> buf;
  if (buf.size() < rows * kF) buf.resize(rows * kF);
  return buf;
}

void append_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  out += '"';
}

}  // namespace

Result<std::unique_ptr<Scorer>> Scorer::load(const std::string& dir, ScorerOptions opts) {
  auto a = load_artifact(dir);
  if (!a) return a.error();
  if ((*a)->meta.classes.empty()) {
    return make_error(ErrorCode::kCorrupt, "meta.json lists no attack_cat classes", dir);
  }
  auto s = std::make_unique<Scorer>(std::move(*a), opts);
  // Warm-up: configures both learners before any concurrent use and checks the models take
  // this feature layout and produce the shapes meta.json promises.
  flow::FlowRecord probe;
  probe.proto = "tcp";
  probe.state = "FIN";
  std::vector<Verdict> v;
  const std::vector<flow::FlowRecord> probes(kSmallBatch, probe);
  auto st = s->score({&probe, 1}, v, {.top_k = 1});
  if (st) st = s->score(probes, v);
  if (!st) {
    return make_error(ErrorCode::kIncompatible,
                      "the model files do not fit meta.json: " + st.error().message, dir);
  }
  return s;
}

Scorer::Scorer(std::unique_ptr<Artifact> artifact, ScorerOptions opts)
    : artifact_(std::move(artifact)), classes_(artifact_->meta.classes) {
  const std::string n = std::to_string(std::max(1, opts.nthread));
  (void)artifact_->binary.set_param("nthread", n);
  (void)artifact_->attack_cat.set_param("nthread", n);
  // A slice over every round is a full copy of the model.
  for (auto [from, to] : {std::pair{&artifact_->binary, &binary_small_},
                          std::pair{&artifact_->attack_cat, &attack_cat_small_}}) {
    auto rounds = from->rounds();
    auto copy = rounds ? from->slice(*rounds) : Result<xgb::Booster>(rounds.error());
    if (copy) {
      *to = std::move(*copy);
      (void)to->set_param("nthread", "1");
    }
  }
  // Warm-up: XGBoost configures a learner on its first prediction; doing it here keeps that out
  // of concurrent calls. Failures surface again on real calls (and in load()).
  flow::FlowRecord probe;
  probe.proto = "tcp";
  probe.state = "FIN";
  const std::vector<flow::FlowRecord> probes(kSmallBatch, probe);
  std::vector<Verdict> v;
  (void)score({&probe, 1}, v);
  (void)score(probes, v);
}

Status Scorer::score(std::span<const flow::FlowRecord> flows, std::vector<Verdict>& out,
                     const ExplainOptions& explain_opts) const {
  out.resize(flows.size());
  return score(flows, std::span<Verdict>(out), explain_opts);
}

Status Scorer::score(std::span<const flow::FlowRecord> flows, std::span<Verdict> out,
                     const ExplainOptions& explain_opts) const {
  const size_t n = flows.size();
  if (n == 0) return {};
  auto& x = feature_buffer(n);
  const auto& fs = artifact_->meta.features;
  for (size_t i = 0; i < n; ++i) fs.encode(flows[i], &x[i * kF]);

  const float* p = nullptr;
  size_t len = 0;
  if (auto st = binary_for(n).predict_dense(x.data(), n, kF, &p, &len); !st) return st;
  if (len != n) {
    return make_error(ErrorCode::kIncompatible,
                      fmt::format("binary model returned {} values for {} rows", len, n));
  }
  const double threshold = artifact_->meta.threshold;
  for (size_t i = 0; i < n; ++i) {
    Verdict& v = out[i];
    v.score = p[i];
    v.label = v.score >= threshold ? 1 : 0;
    v.threshold = threshold;
    if (v.model_version != artifact_->meta.model_version)
      v.model_version = artifact_->meta.model_version;
    v.top_features.clear();
  }
  const size_t k = classes_.size();
  if (auto st = attack_cat_for(n).predict_dense(x.data(), n, kF, &p, &len); !st) return st;
  if (len != n * k) {
    return make_error(
        ErrorCode::kIncompatible,
        fmt::format("attack_cat model returned {} values for {} rows x {} classes", len, n, k));
  }
  for (size_t i = 0; i < n; ++i) {
    const float* row = p + i * k;
    const size_t best = static_cast<size_t>(std::max_element(row, row + k) - row);
    out[i].attack_cat.assign(classes_[best]);
    out[i].attack_cat_prob = row[best];
  }
  if (explain_opts.top_k <= 0) return {};
  std::vector<size_t> rows;
  for (size_t i = 0; i < n; ++i) {
    if (!explain_opts.anomalies_only || out[i].label == 1) rows.push_back(i);
  }
  if (rows.empty()) return {};
  return explain(std::span<const float>(x.data(), n * kF), rows, explain_opts.top_k, out);
}

Status Scorer::explain(std::span<const float> features, std::span<const size_t> rows, int top_k,
                       std::span<Verdict> out) const {
  // TreeSHAP needs a DMatrix (in-place prediction gives values only), so the rows to explain
  // are copied out; this path is for the few flows someone will look at.
  std::vector<float> x(rows.size() * kF);
  for (size_t r = 0; r < rows.size(); ++r) {
    std::copy_n(&features[rows[r] * kF], kF, &x[r * kF]);
  }
  std::vector<float> contrib;
  {
    std::lock_guard lock(explain_mu_);
    auto m = xgb::DMatrix::dense(x, rows.size(), kF, 1);
    if (!m) return m.error();
    if (auto st = artifact_->binary.predict(*m, 2, contrib); !st) return st;
  }
  const size_t width = kF + 1;  // the last column is the bias
  if (contrib.size() != rows.size() * width) {
    return make_error(ErrorCode::kIncompatible, fmt::format("SHAP output has {} values for {} rows",
                                                            contrib.size(), rows.size()));
  }
  const auto& names = FeatureSpace::names();
  const size_t k = std::min<size_t>(static_cast<size_t>(top_k), kF);
  std::array<size_t, kF> order;
  for (size_t r = 0; r < rows.size(); ++r) {
    const float* c = &contrib[r * width];
    std::iota(order.begin(), order.end(), size_t{0});
    std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                      [&](size_t a, size_t b) {
                        const float fa = std::fabs(c[a]), fb = std::fabs(c[b]);
                        return fa != fb ? fa > fb : a < b;
                      });
    auto& tf = out[rows[r]].top_features;
    tf.clear();
    for (size_t j = 0; j < k; ++j) {
      tf.push_back({names[order[j]], x[r * kF + order[j]], c[order[j]]});
    }
  }
  return {};
}

Status Scorer::score_binary(std::span<const flow::FlowRecord> flows,
                            std::vector<float>& scores) const {
  const size_t n = flows.size();
  scores.resize(n);
  if (n == 0) return {};
  auto& x = feature_buffer(n);
  const auto& fs = artifact_->meta.features;
  for (size_t i = 0; i < n; ++i) fs.encode(flows[i], &x[i * kF]);
  const float* p = nullptr;
  size_t len = 0;
  if (auto st = binary_for(n).predict_dense(x.data(), n, kF, &p, &len); !st) return st;
  if (len != n) return make_error(ErrorCode::kIncompatible, "binary model output size mismatch");
  std::copy_n(p, n, scores.begin());
  return {};
}

void append_verdict_json(const Verdict& v, std::string& out, int64_t id, int64_t line) {
  auto it = std::back_inserter(out);
  out += '{';
  if (id >= 0) fmt::format_to(it, "\"id\":{},", id);
  if (line >= 0) fmt::format_to(it, "\"line\":{},", line);
  fmt::format_to(it, "\"score\":{},\"label\":{},\"attack_cat\":", static_cast<float>(v.score),
                 v.label);
  append_escaped(out, v.attack_cat);
  fmt::format_to(it, ",\"attack_cat_prob\":{},\"threshold\":{},\"model_version\":",
                 static_cast<float>(v.attack_cat_prob), v.threshold);
  append_escaped(out, v.model_version);
  if (!v.top_features.empty()) {
    out += ",\"top_features\":[";
    for (size_t i = 0; i < v.top_features.size(); ++i) {
      const auto& c = v.top_features[i];
      if (i) out += ',';
      out += "{\"feature\":";
      append_escaped(out, c.feature);
      fmt::format_to(it, ",\"value\":{},\"contribution\":{}}}", c.value,
                     static_cast<float>(c.contribution));
    }
    out += ']';
  }
  out += '}';
}

}  // namespace flowsentry::model
