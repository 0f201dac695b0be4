#include "model/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>

#include "common/log.h"
#include "common/version.h"
#include "flow/reader.h"
#include "model/boost.h"
#include "model/metrics.h"
#include "model/report.h"

namespace flowsentry::model {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Shares of the training split by encoded value (rare values as "other"), and under "seen"
// every raw value of all training rows, so drift detection can tell rare from never seen.
json share_table(const CategoryEncoder& enc, const std::vector<flow::FlowRecord>& rows,
                 const std::vector<size_t>& idx, std::string flow::FlowRecord::*member) {
  std::vector<int64_t> counts(enc.values().size() + 1, 0);
  for (size_t i : idx) counts[enc.encode(rows[i].*member)]++;
  json c = json::object();
  for (size_t k = 0; k < counts.size(); ++k) {
    c[std::string(enc.decode(static_cast<int>(k)))] = counts[k];
  }
  std::set<std::string> seen;
  for (const auto& r : rows) seen.insert(r.*member);
  return {{"total", idx.size()}, {"counts", c}, {"seen", seen}};
}

json score_histogram(const std::vector<float>& scores, int bins) {
  std::vector<int64_t> counts(static_cast<size_t>(bins), 0);
  for (float s : scores) {
    const int b = std::clamp(static_cast<int>(s * static_cast<float>(bins)), 0, bins - 1);
    counts[static_cast<size_t>(b)]++;
  }
  std::vector<double> edges;
  for (int i = 0; i <= bins; ++i) edges.push_back(static_cast<double>(i) / bins);
  return {{"total", scores.size()}, {"edges", edges}, {"counts", counts}};
}

}  // namespace

void stratified_split(const std::vector<int>& classes, double fraction, uint64_t seed,
                      std::vector<size_t>& train, std::vector<size_t>& validation) {
  std::map<int, std::vector<size_t>> by_class;
  for (size_t i = 0; i < classes.size(); ++i) by_class[classes[i]].push_back(i);
  std::mt19937_64 rng(seed);
  train.clear();
  validation.clear();
  for (auto& [c, idx] : by_class) {
    // Fisher-Yates with our own draw, so the split does not depend on the standard library.
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
    const auto n_valid =
        static_cast<size_t>(std::llround(fraction * static_cast<double>(idx.size())));
    validation.insert(validation.end(), idx.begin(), idx.begin() + static_cast<long>(n_valid));
    train.insert(train.end(), idx.begin() + static_cast<long>(n_valid), idx.end());
  }
  std::sort(train.begin(), train.end());
  std::sort(validation.begin(), validation.end());
}

Result<TrainingData> load_training_data(const std::vector<std::string>& paths) {
  auto log = module_logger("model");
  TrainingData d;
  for (const auto& path : paths) {
    auto reader = flow::open_flow_file(path);
    if (!reader) return reader.error();
    auto& r = **reader;
    if (!r.has_labels()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "training data needs the label and attack_cat columns", path);
    }
    auto sha = sha256_file(path);
    if (!sha) return sha.error();
    flow::FlowRecord rec;
    flow::FieldProblem problem;
    int64_t rows = 0;
    for (auto n = r.next(rec, problem); n != flow::FlowReader::Next::kEnd;
         n = r.next(rec, problem)) {
      if (n == flow::FlowReader::Next::kInvalid || !rec.label || !rec.attack_cat) {
        ++d.invalid_rows;
        log->warn("{}:{}: skipped: {}{}", path, r.line(),
                  problem.field.empty() ? "" : problem.field + ": ",
                  n == flow::FlowReader::Next::kInvalid ? problem.problem : "no label");
        continue;
      }
      d.rows.push_back(rec);
      ++rows;
    }
    d.files.push_back({std::filesystem::path(path).filename().string(), *sha, rows});
    log->info("read {} rows from {}", rows, path);
  }
  if (d.rows.empty()) return make_error(ErrorCode::kInvalidArgument, "no valid training rows");
  return d;
}

Result<std::unique_ptr<Artifact>> train(const TrainingData& data, const TrainOptions& o) {
  auto log = module_logger("model");
  const auto start = Clock::now();
  const flow::Profile* profile = flow::profile_by_name(o.profile);
  if (!profile) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("unknown feature profile '{}'; choose one of {}", o.profile,
                                  flow::profile_names()));
  }
  const auto& rows = data.rows;
  std::vector<int> cat(rows.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    cat[i] = class_index(*rows[i].attack_cat);
    if (cat[i] < 0) {
      return make_error(ErrorCode::kValidation, "unknown attack_cat " + *rows[i].attack_cat);
    }
  }
  std::vector<size_t> tr, va;
  stratified_split(cat, o.validation_fraction, o.seed, tr, va);
  if (tr.empty() || va.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "too few rows to hold out a validation split; give more training data");
  }
  log->info("split: {} training rows, {} validation rows (stratified by attack_cat, seed {})",
            tr.size(), va.size(), o.seed);

  std::vector<flow::FlowRecord> train_rows;
  for (size_t i : tr) train_rows.push_back(rows[i]);
  auto fs = FeatureSpace::fit(train_rows, o.category_min_count, *profile);
  log->info("profile {}: {} of {} features", profile->name, fs.size(), FeatureSpace::kFullSize);
  const Matrix xtr = encode_rows(fs, rows, tr), xva = encode_rows(fs, rows, va);
  std::vector<float> ytr, yva, ctr, cva, wtr, wva;
  const auto weight = class_weights(cat, tr, o.class_weight_power);
  for (size_t i : tr) {
    ytr.push_back(static_cast<float>(*rows[i].label));
    ctr.push_back(static_cast<float>(cat[i]));
    wtr.push_back(weight[static_cast<size_t>(cat[i])]);
  }
  for (size_t i : va) {
    yva.push_back(static_cast<float>(*rows[i].label));
    cva.push_back(static_cast<float>(cat[i]));
    wva.push_back(weight[static_cast<size_t>(cat[i])]);
  }
  auto dtr = xgb::DMatrix::dense(xtr.x, xtr.rows, fs.size(), o.nthread);
  auto dva = xgb::DMatrix::dense(xva.x, xva.rows, fs.size(), o.nthread);
  if (!dtr) return dtr.error();
  if (!dva) return dva.error();

  const auto bin_params = binary_params(o);
  const auto cat_params = attack_cat_params(o);

  if (auto st = dtr->set_labels(ytr); !st) return st.error();
  if (auto st = dva->set_labels(yva); !st) return st.error();
  auto bin = boost("binary", bin_params, *dtr, *dva, o);
  if (!bin) return bin.error();

  if (auto st = dtr->set_labels(ctr); !st) return st.error();
  if (auto st = dva->set_labels(cva); !st) return st.error();
  if (auto st = dtr->set_weights(wtr); !st) return st.error();
  if (auto st = dva->set_weights(wva); !st) return st.error();
  auto multi = boost("attack_cat", cat_params, *dtr, *dva, o);
  if (!multi) return multi.error();

  LabelledPredictions p;
  if (auto st = bin->booster.predict(*dva, 0, p.score); !st) return st.error();
  std::vector<float> probs;
  if (auto st = multi->booster.predict(*dva, 0, probs); !st) return st.error();
  const size_t k = flow::kAttackCategories.size();
  for (size_t i = 0; i < va.size(); ++i) {
    p.label.push_back(*rows[va[i]].label);
    p.cat_true.push_back(cat[va[i]]);
    const float* row = &probs[i * k];
    p.cat_pred.push_back(static_cast<int>(std::max_element(row, row + k) - row));
  }
  const auto choice = choose_threshold(p.score, p.label, o.target_fpr, o.fpr_confidence_z);
  log->info("threshold {:.6f}: validation recall {:.4f} at FPR {:.4f} ({})", choice.threshold,
            choice.recall, choice.fpr, choice.rule);

  auto a = std::make_unique<Artifact>();
  auto& m = a->meta;
  m.created = utc_now();
  m.features = fs;
  for (auto c : flow::kAttackCategories) m.classes.emplace_back(c);
  m.threshold = choice.threshold;
  m.threshold_rule = choice.rule;
  m.target_fpr = o.target_fpr;
  m.seed = o.seed;
  m.train_rows = static_cast<int64_t>(tr.size());
  m.validation_rows = static_cast<int64_t>(va.size());
  m.data = data.files;
  std::string hashes;
  for (const auto& f : data.files) hashes += f.sha256;
  m.data_sha256 = sha256_hex(hashes);
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  m.training = {
      {"xgboost_version", xgb::version()},
      {"flowsentry_version", kVersion},
      {"validation_fraction", o.validation_fraction},
      {"invalid_rows_skipped", data.invalid_rows},
      {"binary",
       {{"params", bin_params},
        {"rounds", bin->best_rounds},
        {"valid_logloss", bin->best_metric},
        {"seconds", bin->seconds}}},
      {"attack_cat",
       {{"params", cat_params},
        {"rounds", multi->best_rounds},
        {"valid_weighted_" + o.cat_stop_metric, multi->best_metric},
        {"seconds", multi->seconds},
        {"class_weight", fmt::format("(largest class / class count)^{}", o.class_weight_power)}}},
      {"category_min_count", o.category_min_count},
      {"rounds_rule", o.fixed_rounds > 0
                          ? fmt::format("fixed: {} rounds, no early stopping", o.fixed_rounds)
                          : fmt::format("early stopping, patience {} rounds, at most {}",
                                        o.early_stopping_rounds, o.max_rounds)},
      {"seconds", seconds},
  };
  a->binary = std::move(bin->booster);
  a->attack_cat = std::move(multi->booster);
  a->reference = {
      {"source", "training split (categoricals), validation split (score)"},
      {"proto", share_table(fs.proto(), rows, tr, &flow::FlowRecord::proto)},
      {"service", share_table(fs.service(), rows, tr, &flow::FlowRecord::service)},
      {"state", share_table(fs.state(), rows, tr, &flow::FlowRecord::state)},
      {"score", score_histogram(p.score, 20)},
  };
  a->metrics = {{"validation", evaluation_report(p, choice.threshold, m.classes)}};
  log->info("trained in {:.1f}s", seconds);
  return a;
}

TrainOptions plain_options(const TrainOptions& base, int rounds) {
  TrainOptions o = base;
  o.fixed_rounds = rounds;
  o.max_depth = o.cat_max_depth = 8;
  o.eta = o.cat_eta = 0.3;
  o.subsample = o.colsample = 1;
  o.min_child_weight = o.cat_min_child_weight = 1;
  o.class_weight_power = 0;
  o.cat_stop_metric = "mlogloss";
  return o;
}

}  // namespace flowsentry::model
