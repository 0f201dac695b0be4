#include "model/scorer.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "common/assist.h"
#include "common/log.h"
#include "flow/json_codec.h"

namespace flowsentry::model {
namespace {

// Per-thread feature buffer: grows to the largest batch a thread has seen, then is reused.
std::vector<float>& feature_buffer(size_t values) {
  thread_local std::vector<float> buf;
  if (buf.size() < values) buf.resize(values);
  return buf;
}

float* grown(std::vector<float>& buf, size_t n) {
  if (buf.size() < n) buf.resize(n);
  return buf.data();
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
    : artifact_(std::move(artifact)),
      classes_(artifact_->meta.classes),
      nf_(artifact_->meta.features.size()),
      nthread_(static_cast<size_t>(std::max(1, opts.nthread))) {
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
  load_forests(opts.engine);
  // Warm-up: XGBoost configures a learner on its first prediction; doing it here (SHAP included,
  // for models the native forest cannot run) keeps that out of concurrent calls.
  // Failures surface again on real calls (and in load()).
  flow::FlowRecord probe;
  probe.proto = "tcp";
  probe.state = "FIN";
  const std::vector<flow::FlowRecord> probes(kSmallBatch, probe);
  std::vector<Verdict> v;
  (void)score({&probe, 1}, v, {.top_k = 1});
  (void)score(probes, v, {.top_k = 1});
}

void Scorer::load_forests(Engine engine) {
  if (engine == Engine::kXgboost) return;
  // UBJ keeps the thresholds as the exact float32 values XGBoost compares against.
  auto load = [&](const xgb::Booster& b, size_t outputs) -> Result<Forest> {
    auto bytes = b.save_buffer("ubj");
    if (!bytes) return bytes.error();
    auto f = Forest::load(*bytes);
    if (!f) return f.error();
    if (f->num_features() != nf_ || f->outputs() != outputs) {
      return make_error(ErrorCode::kIncompatible,
                        fmt::format("model has {} features and {} outputs, expected {} and {}",
                                    f->num_features(), f->outputs(), nf_, outputs));
    }
    return f;
  };
  auto bin = load(artifact_->binary, 1);
  auto cat = load(artifact_->attack_cat, classes_.size());
  if (bin && cat) {
    binary_forest_ = std::move(*bin);
    attack_cat_forest_ = std::move(*cat);
    return;
  }
  // Still correct through XGBoost, only slower.
  module_logger("model")->warn("native forest evaluator unavailable, scoring through XGBoost: {}",
                               (bin ? cat.error() : bin.error()).to_string());
}

// Rows are independent, so splitting a large batch across threads does not change a value.
// Each thread runs every forest over its rows: one thread start per batch, not per forest.
void Scorer::run_forests(std::span<const ForestRun> runs, const float* x, size_t n) const {
  const size_t parts = n >= kParallelBatch ? nthread_ : 1;
  const size_t per = (n + parts - 1) / parts;
  auto slice = [runs, x, nf = nf_](size_t begin, size_t count) {
    for (const auto& r : runs) {
      r.forest->predict(x + begin * nf, count, r.out + begin * r.forest->outputs());
    }
  };
  // The second part goes to the Assist thread when it is free (a thread start costs ~0.7 ms
  // on an idle VM core); any further parts get threads of their own.
  std::vector<std::thread> helpers;
  bool assisted = false;
  for (size_t begin = per; parts > 1 && begin < n; begin += per) {
    const size_t count = std::min(per, n - begin);
    if (begin == per && Assist::global().start([&slice, begin, count] { slice(begin, count); })) {
      assisted = true;
    } else {
      helpers.emplace_back(slice, begin, count);
    }
  }
  slice(0, std::min(per, n));
  for (auto& h : helpers) h.join();
  if (assisted) Assist::global().wait();
}

Result<const float*> Scorer::predict_binary(const float* x, size_t n) const {
  if (binary_forest_) {
    thread_local std::vector<float> out;
    const ForestRun run{&*binary_forest_, grown(out, n)};
    run_forests({&run, 1}, x, n);
    return out.data();
  }
  const float* p = nullptr;
  size_t len = 0;
  if (auto st = binary_for(n).predict_dense(x, n, nf_, &p, &len); !st) return st.error();
  if (len != n) {
    return make_error(ErrorCode::kIncompatible,
                      fmt::format("binary model returned {} values for {} rows", len, n));
  }
  return p;
}

Result<const float*> Scorer::predict_attack_cat(const float* x, size_t n) const {
  const size_t k = classes_.size();
  if (attack_cat_forest_) {
    thread_local std::vector<float> out;
    const ForestRun run{&*attack_cat_forest_, grown(out, n * k)};
    run_forests({&run, 1}, x, n);
    return out.data();
  }
  const float* p = nullptr;
  size_t len = 0;
  if (auto st = attack_cat_for(n).predict_dense(x, n, nf_, &p, &len); !st) return st.error();
  if (len != n * k) {
    return make_error(
        ErrorCode::kIncompatible,
        fmt::format("attack_cat model returned {} values for {} rows x {} classes", len, n, k));
  }
  return p;
}

std::pair<Result<const float*>, Result<const float*>> Scorer::predict_both(const float* x,
                                                                           size_t n) const {
  if (!binary_forest_ || !attack_cat_forest_) {
    return {predict_binary(x, n), predict_attack_cat(x, n)};
  }
  thread_local std::vector<float> bin, cat;
  const ForestRun runs[] = {{&*binary_forest_, grown(bin, n)},
                            {&*attack_cat_forest_, grown(cat, n * classes_.size())}};
  run_forests(runs, x, n);
  return {bin.data(), cat.data()};
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
  auto& x = feature_buffer(n * nf_);
  const auto& fs = artifact_->meta.features;
  for (size_t i = 0; i < n; ++i) fs.encode(flows[i], &x[i * nf_]);

  auto [p, probs] = predict_both(x.data(), n);
  if (!p) return p.error();
  if (!probs) return probs.error();
  const double threshold = artifact_->meta.threshold;
  for (size_t i = 0; i < n; ++i) {
    Verdict& v = out[i];
    v.score = (*p)[i];
    v.label = v.score >= threshold ? 1 : 0;
    v.threshold = threshold;
    if (v.model_version != artifact_->meta.model_version)
      v.model_version = artifact_->meta.model_version;
    v.top_features.clear();
  }
  const size_t k = classes_.size();
  for (size_t i = 0; i < n; ++i) {
    const float* row = *probs + i * k;
    const size_t best = static_cast<size_t>(std::max_element(row, row + k) - row);
    out[i].attack_cat.assign(classes_[best]);
    out[i].attack_cat_prob = row[best];
  }
  if (explain_opts.top_k <= 0) return {};
  std::vector<size_t> rows;
  for (size_t i = 0; i < n; ++i) {
    if (!explain_opts.anomalies_only || out[i].label == 1) rows.push_back(i);
  }
  if (rows.empty() || explain_opts.max_rows == 0) return {};
  if (rows.size() > explain_opts.max_rows) {
    auto higher = [&](size_t a, size_t b) { return out[a].score > out[b].score; };
    std::nth_element(rows.begin(),
                     rows.begin() + static_cast<std::ptrdiff_t>(explain_opts.max_rows), rows.end(),
                     higher);
    rows.resize(explain_opts.max_rows);
    std::sort(rows.begin(), rows.end());
  }
  return explain_rows(std::span<const float>(x.data(), n * nf_), rows, explain_opts.top_k, out);
}

Status Scorer::explain(std::span<const flow::FlowRecord> flows, std::span<Verdict> out,
                       int top_k) const {
  const size_t n = std::min(flows.size(), out.size());
  if (n == 0 || top_k <= 0) return {};
  auto& x = feature_buffer(n * nf_);
  for (size_t i = 0; i < n; ++i) artifact_->meta.features.encode(flows[i], &x[i * nf_]);
  std::vector<size_t> rows(n);
  std::iota(rows.begin(), rows.end(), size_t{0});
  return explain_rows(std::span<const float>(x.data(), n * nf_), rows, top_k, out);
}

Status Scorer::explain_rows(std::span<const float> features, std::span<const size_t> rows,
                            int top_k, std::span<Verdict> out) const {
  thread_local std::vector<float> x, contrib;
  const size_t nf = nf_;
  float* rows_x = grown(x, rows.size() * nf);
  for (size_t r = 0; r < rows.size(); ++r) {
    std::copy_n(&features[rows[r] * nf], nf, rows_x + r * nf);
  }
  const size_t width = nf + 1;  // the last column is the bias
  if (auto st = contributions(rows_x, rows.size(), contrib); !st) return st;
  if (contrib.size() != rows.size() * width) {
    return make_error(ErrorCode::kIncompatible, fmt::format("SHAP output has {} values for {} rows",
                                                            contrib.size(), rows.size()));
  }
  const auto& names = artifact_->meta.features.names();
  const size_t k = std::min<size_t>(static_cast<size_t>(top_k), nf);
  std::array<size_t, FeatureSpace::kFullSize> order_buf;
  const std::span<size_t> order(order_buf.data(), nf);
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
      tf.push_back({names[order[j]], rows_x[r * nf + order[j]], c[order[j]]});
    }
  }
  return {};
}

Status Scorer::contributions(const float* x, size_t n, std::vector<float>& out) const {
  if (binary_forest_ && binary_forest_->explainable()) {
    out.resize(n * (nf_ + 1));
    auto rows = [this, x, &out](size_t begin, size_t end) {
      for (size_t r = begin; r < end; ++r) {
        binary_forest_->contributions(x + r * nf_, &out[r * (nf_ + 1)]);
      }
    };
    // Many rows (a batch's anomalies): the second half on the Assist thread when it is free.
    const size_t half = n >= kParallelExplain && nthread_ > 1 ? n / 2 : n;
    const bool assisted = half < n && Assist::global().start([&rows, half, n] { rows(half, n); });
    rows(0, assisted ? half : n);
    if (assisted) Assist::global().wait();
    return {};
  }
  // XGBoost's TreeSHAP needs a DMatrix; it documents prediction, SHAP included, as thread safe
  // (since 1.4). Small batches use the single-threaded copy, as for scoring.
  auto m = xgb::DMatrix::dense(std::span<const float>(x, n * nf_), n, nf_, 1);
  if (!m) return m.error();
  return binary_for(n).predict(*m, 2, out);
}

Status Scorer::score_binary(std::span<const flow::FlowRecord> flows,
                            std::vector<float>& scores) const {
  const size_t n = flows.size();
  scores.resize(n);
  if (n == 0) return {};
  auto& x = feature_buffer(n * nf_);
  const auto& fs = artifact_->meta.features;
  for (size_t i = 0; i < n; ++i) fs.encode(flows[i], &x[i * nf_]);
  auto p = predict_binary(x.data(), n);
  if (!p) return p.error();
  std::copy_n(*p, n, scores.begin());
  return {};
}

// Numbers are formatted with compiled format strings; strings go through the JSON escaper.
void append_verdict_json(const Verdict& v, std::string& out, int64_t id, int64_t line) {
  auto put = [&out](auto format, auto... args) {
    fmt::format_to(std::back_inserter(out), format, args...);
  };
  out += '{';
  if (id >= 0) put(FMT_COMPILE("\"id\":{},"), id);
  if (line >= 0) put(FMT_COMPILE("\"line\":{},"), line);
  put(FMT_COMPILE("\"score\":{},\"label\":{},\"attack_cat\":"), static_cast<float>(v.score),
      v.label);
  flow::append_json_string(out, v.attack_cat);
  put(FMT_COMPILE(",\"attack_cat_prob\":{},\"threshold\":{},\"model_version\":"),
      static_cast<float>(v.attack_cat_prob), v.threshold);
  flow::append_json_string(out, v.model_version);
  if (!v.top_features.empty()) {
    out += ",\"top_features\":[";
    for (size_t i = 0; i < v.top_features.size(); ++i) {
      const auto& c = v.top_features[i];
      if (i) out += ',';
      out += "{\"feature\":";
      flow::append_json_string(out, c.feature);
      put(FMT_COMPILE(",\"value\":{},\"contribution\":{}}}"), c.value,
          static_cast<float>(c.contribution));
    }
    out += ']';
  }
  out += '}';
}

}  // namespace flowsentry::model
