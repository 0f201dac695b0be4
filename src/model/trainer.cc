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
#include "model/metrics.h"
#include "model/report.h"

namespace flowsentry::model {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

int class_index(const std::string& cat) {
  for (size_t i = 0; i < flow::kAttackCategories.size(); ++i) {
    if (flow::kAttackCategories[i] == cat) return static_cast<int>(i);
  }
  return -1;
}

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

struct Matrix {
  std::vector<float> x;
  size_t rows = 0;
};

Matrix encode_rows(const FeatureSpace& fs, const std::vector<flow::FlowRecord>& rows,
                   const std::vector<size_t>& idx) {
  Matrix m;
  m.rows = idx.size();
  m.x.resize(idx.size() * fs.size());
  for (size_t i = 0; i < idx.size(); ++i) fs.encode(rows[idx[i]], &m.x[i * fs.size()]);
  return m;
}

double parse_eval(const std::string& line) {
  const auto colon = line.rfind(':');
  return colon == std::string::npos ? NAN : std::strtod(line.c_str() + colon + 1, nullptr);
}

struct BoostResult {
  xgb::Booster booster;
  int best_rounds = 0;
  double best_metric = 0;
  double seconds = 0;
};

// Boosts until the validation metric has not improved for `patience` rounds, then keeps the
// best prefix of the model.
Result<BoostResult> boost(const char* what, const std::map<std::string, std::string>& params,
                          const xgb::DMatrix& dtrain, const xgb::DMatrix& dvalid,
                          const TrainOptions& o) {
  auto log = module_logger("model");
  const auto start = Clock::now();
  const xgb::DMatrix* cache[] = {&dtrain, &dvalid};
  auto b = xgb::Booster::create(cache);
  if (!b) return b.error();
  for (const auto& [k, v] : params) {
    if (auto st = b->set_param(k, v); !st) return st.error();
  }
  BoostResult r;
  r.best_metric = INFINITY;
  int it = 0;
  for (; it < o.max_rounds; ++it) {
    if (auto st = b->update(it, dtrain); !st) return st.error();
    auto line = b->eval(it, dvalid, "valid");
    if (!line) return line.error();
    const double metric = parse_eval(*line);
    if (metric < r.best_metric) {
      r.best_metric = metric;
      r.best_rounds = it + 1;
    }
    if ((it + 1) % 50 == 0) {
      log->info("{}: round {} {} (best {:.6f} at round {})", what, it + 1,
                line->substr(line->find('\t') + 1), r.best_metric, r.best_rounds);
    }
    if (it + 1 - r.best_rounds >= o.early_stopping_rounds) break;
  }
  auto sliced = b->slice(r.best_rounds);
  if (!sliced) return sliced.error();
  r.booster = std::move(*sliced);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  log->info("{}: stopped after {} rounds, keeping {} (valid {:.6f}) in {:.1f}s", what, it + 1,
            r.best_rounds, r.best_metric, r.seconds);
  return r;
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
  std::vector<int64_t> class_count(flow::kAttackCategories.size(), 0);
  for (size_t i : tr) class_count[static_cast<size_t>(cat[i])]++;
  const double largest =
      static_cast<double>(*std::max_element(class_count.begin(), class_count.end()));
  auto weight = [&](int c) {
    const double n = static_cast<double>(std::max<int64_t>(class_count[static_cast<size_t>(c)], 1));
    return static_cast<float>(std::pow(largest / n, o.class_weight_power));
  };
  for (size_t i : tr) {
    ytr.push_back(static_cast<float>(*rows[i].label));
    ctr.push_back(static_cast<float>(cat[i]));
    wtr.push_back(weight(cat[i]));
  }
  for (size_t i : va) {
    yva.push_back(static_cast<float>(*rows[i].label));
    cva.push_back(static_cast<float>(cat[i]));
    wva.push_back(weight(cat[i]));
  }
  auto dtr = xgb::DMatrix::dense(xtr.x, xtr.rows, fs.size(), o.nthread);
  auto dva = xgb::DMatrix::dense(xva.x, xva.rows, fs.size(), o.nthread);
  if (!dtr) return dtr.error();
  if (!dva) return dva.error();

  const std::string seed = std::to_string(o.seed % 2147483647);
  std::map<std::string, std::string> common{
      {"tree_method", "hist"},
      {"nthread", std::to_string(o.nthread)},
      {"seed", seed},
      {"subsample", fmt::format("{}", o.subsample)},
      {"colsample_bytree", fmt::format("{}", o.colsample)},
      {"max_bin", "256"},
      {"verbosity", "1"},
  };
  auto bin_params = common;
  bin_params.insert({{"objective", "binary:logistic"},
                     {"eval_metric", "logloss"},
                     {"max_depth", std::to_string(o.max_depth)},
                     {"eta", fmt::format("{}", o.eta)}});
  auto cat_params = common;
  cat_params.insert({{"objective", "multi:softprob"},
                     {"num_class", std::to_string(flow::kAttackCategories.size())},
                     {"eval_metric", "mlogloss"},
                     {"max_depth", std::to_string(o.cat_max_depth)},
                     {"eta", fmt::format("{}", o.cat_eta)}});

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
        {"valid_weighted_mlogloss", multi->best_metric},
        {"seconds", multi->seconds},
        {"class_weight", fmt::format("(largest class / class count)^{}", o.class_weight_power)}}},
      {"category_min_count", o.category_min_count},
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

}  // namespace flowsentry::model
