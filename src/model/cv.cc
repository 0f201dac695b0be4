#include "model/cv.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "model/boost.h"
#include "model/metrics.h"

namespace flowsentry::model {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* booster_name(CvBooster b) {
  switch (b) {
    case CvBooster::kBinary:
      return "binary";
    case CvBooster::kAttackCat:
      return "attack_cat";
    case CvBooster::kBoth:
      return "both";
  }
  return "both";
}

CvCandidate binary_candidate(const TrainOptions& base, std::string why, int depth, double eta) {
  CvCandidate c{fmt::format("binary d{} eta{}", depth, eta), CvBooster::kBinary, std::move(why),
                base};
  c.options.max_depth = depth;
  c.options.eta = eta;
  c.options.min_child_weight = 1;
  return c;
}

CvCandidate attack_cat_candidate(const TrainOptions& base, std::string why, double power,
                                 double eta, const char* stop = "mlogloss") {
  CvCandidate c{fmt::format("attack_cat cw{} eta{} stop {}", power, eta, stop),
                CvBooster::kAttackCat, std::move(why), base};
  c.options.cat_stop_metric = stop;
  c.options.class_weight_power = power;
  c.options.cat_eta = eta;
  c.options.cat_max_depth = 8;
  c.options.cat_min_child_weight = 1;
  return c;
}

CvCandidate plain_candidate(const TrainOptions& base) {
  return {"plain XGBoost", CvBooster::kBoth,
          "baseline: 400 rounds, depth 8, XGBoost defaults otherwise, no class weights",
          plain_options(base)};
}

// The rows of one fold, encoded once and shared by every candidate.
struct FoldData {
  std::vector<size_t> fit, stop;  // row indices: boosting rows, early-stopping rows
  std::vector<int> test_label, test_cat;
  xgb::DMatrix dfit, dstop, dtest;
};

Result<FoldData> make_fold(const TrainingData& data, const std::vector<int>& cat,
                           const std::vector<int>& fold_of, int k, const TrainOptions& o,
                           const flow::Profile& profile) {
  FoldData f;
  std::vector<size_t> rest, test;
  for (size_t i = 0; i < cat.size(); ++i) (fold_of[i] == k ? test : rest).push_back(i);
  std::vector<int> rest_cat;
  for (size_t i : rest) rest_cat.push_back(cat[i]);
  std::vector<size_t> fit_pos, stop_pos;
  stratified_split(rest_cat, o.validation_fraction, o.seed, fit_pos, stop_pos);
  for (size_t p : fit_pos) f.fit.push_back(rest[p]);
  for (size_t p : stop_pos) f.stop.push_back(rest[p]);
  if (f.fit.empty() || f.stop.empty() || test.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "too few rows for cross-validation");
  }
  std::vector<flow::FlowRecord> fit_rows;
  for (size_t i : f.fit) fit_rows.push_back(data.rows[i]);
  const auto fs = FeatureSpace::fit(fit_rows, o.category_min_count, profile);
  for (size_t i : test) {
    f.test_label.push_back(*data.rows[i].label);
    f.test_cat.push_back(cat[i]);
  }
  const Matrix xfit = encode_rows(fs, data.rows, f.fit), xstop = encode_rows(fs, data.rows, f.stop),
               xtest = encode_rows(fs, data.rows, test);
  auto dfit = xgb::DMatrix::dense(xfit.x, xfit.rows, fs.size(), o.nthread);
  auto dstop = xgb::DMatrix::dense(xstop.x, xstop.rows, fs.size(), o.nthread);
  auto dtest = xgb::DMatrix::dense(xtest.x, xtest.rows, fs.size(), o.nthread);
  if (!dfit) return dfit.error();
  if (!dstop) return dstop.error();
  if (!dtest) return dtest.error();
  f.dfit = std::move(*dfit);
  f.dstop = std::move(*dstop);
  f.dtest = std::move(*dtest);
  return f;
}

// Labels and weights of one fold part for a booster: binary rows weigh 1.
Status set_targets(xgb::DMatrix& m, const TrainingData& data, const std::vector<int>& cat,
                   const std::vector<size_t>& idx, const std::vector<float>* weights) {
  std::vector<float> y, w;
  for (size_t i : idx) {
    y.push_back(weights ? static_cast<float>(cat[i]) : static_cast<float>(*data.rows[i].label));
    w.push_back(weights ? (*weights)[static_cast<size_t>(cat[i])] : 1.0f);
  }
  if (auto st = m.set_labels(y); !st) return st;
  return m.set_weights(w);
}

Status score_binary(const CvCandidate& c, FoldData& f, const TrainingData& data,
                    const std::vector<int>& cat, FoldScore& s) {
  if (auto st = set_targets(f.dfit, data, cat, f.fit, nullptr); !st) return st;
  if (auto st = set_targets(f.dstop, data, cat, f.stop, nullptr); !st) return st;
  auto b = boost("binary", binary_params(c.options), f.dfit, f.dstop, c.options, false);
  if (!b) return b.error();
  std::vector<float> score;
  if (auto st = b->booster.predict(f.dtest, 0, score); !st) return st;
  s.auc = roc_auc(score, f.test_label);
  s.fpr_at_recall_95 = fpr_at_recall(score, f.test_label, 0.95);
  s.binary_rounds = b->best_rounds;
  return {};
}

Status score_attack_cat(const CvCandidate& c, FoldData& f, const TrainingData& data,
                        const std::vector<int>& cat, FoldScore& s) {
  const auto w = class_weights(cat, f.fit, c.options.class_weight_power);
  if (auto st = set_targets(f.dfit, data, cat, f.fit, &w); !st) return st;
  if (auto st = set_targets(f.dstop, data, cat, f.stop, &w); !st) return st;
  auto b = boost("attack_cat", attack_cat_params(c.options), f.dfit, f.dstop, c.options, false);
  if (!b) return b.error();
  std::vector<float> probs;
  if (auto st = b->booster.predict(f.dtest, 0, probs); !st) return st;
  const size_t k = flow::kAttackCategories.size();
  std::vector<int> pred;
  for (size_t i = 0; i < f.test_cat.size(); ++i) {
    const float* row = &probs[i * k];
    pred.push_back(static_cast<int>(std::max_element(row, row + k) - row));
  }
  const auto m = multiclass_metrics(f.test_cat, pred, static_cast<int>(k));
  s.accuracy = m.accuracy;
  s.macro_f1 = m.macro_f1;
  s.attack_cat_rounds = b->best_rounds;
  return {};
}

std::string minutes(double seconds) {
  return seconds < 90 ? fmt::format("{:.0f}s", seconds) : fmt::format("{:.1f}min", seconds / 60);
}

// Every (fold, candidate) run, spread over worker threads of one XGBoost thread each: on a
// shared machine independent single-threaded boosters keep the cores busy where one booster's
// OpenMP threads wait for each other. The plain baseline's long runs go first, so no worker is
// left with one at the end; each worker keeps the DMatrix set of the fold it last used.
struct Runs {
  const TrainingData& data;
  const std::vector<int>& cat;
  const std::vector<int>& fold_of;
  const TrainOptions& base;
  const flow::Profile& profile;
  int folds;
  std::vector<CvRow>& rows;

  struct Task {
    int fold, candidate;
  };
  std::vector<Task> tasks;
  std::vector<std::vector<std::optional<FoldScore>>> scores;  // [candidate][fold]
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::optional<Error> failed;
  int done = 0, workers = 1;
  Clock::time_point start = Clock::now();

  Status run(int threads) {
    for (size_t c = 0; c < rows.size(); ++c) {
      if (rows[c].candidate.booster == CvBooster::kBoth) {
        for (int k = 0; k < folds; ++k) tasks.push_back({k, static_cast<int>(c)});
      }
    }
    for (int k = 0; k < folds; ++k) {
      for (size_t c = 0; c < rows.size(); ++c) {
        if (rows[c].candidate.booster != CvBooster::kBoth)
          tasks.push_back({k, static_cast<int>(c)});
      }
    }
    scores.assign(rows.size(), std::vector<std::optional<FoldScore>>(static_cast<size_t>(folds)));
    workers = std::clamp(threads, 1, static_cast<int>(tasks.size()));
    std::vector<std::thread> pool;
    for (int w = 1; w < workers; ++w) pool.emplace_back([this] { work(); });
    work();
    for (auto& t : pool) t.join();
    if (failed) return *failed;
    for (size_t c = 0; c < rows.size(); ++c) {
      for (const auto& s : scores[c]) rows[c].folds.push_back(*s);
    }
    return {};
  }

  void work() {
    std::optional<FoldData> f;
    int fold = -1;
    for (size_t t = next++; t < tasks.size(); t = next++) {
      const Task task = tasks[t];
      auto st = run_one(task, f, fold);
      std::lock_guard lock(mu);
      if (!st) {
        if (!failed) failed = st.error();
        next = tasks.size();
        return;
      }
    }
  }

  Status run_one(const Task& task, std::optional<FoldData>& f, int& fold) {
    if (fold != task.fold) {
      f.reset();  // one fold's matrices per worker at a time
      TrainOptions one = base;
      one.nthread = 1;
      auto fd = make_fold(data, cat, fold_of, task.fold, one, profile);
      if (!fd) return fd.error();
      f = std::move(*fd);
      fold = task.fold;
    }
    CvCandidate c = rows[static_cast<size_t>(task.candidate)].candidate;
    c.options.nthread = 1;
    const auto t0 = Clock::now();
    FoldScore s;
    if (c.booster != CvBooster::kAttackCat) {
      if (auto st = score_binary(c, *f, data, cat, s); !st) return st;
    }
    if (c.booster != CvBooster::kBinary) {
      if (auto st = score_attack_cat(c, *f, data, cat, s); !st) return st;
    }
    s.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    std::lock_guard lock(mu);
    scores[static_cast<size_t>(task.candidate)][static_cast<size_t>(task.fold)] = s;
    ++done;
    report(task, c, s);
    return {};
  }

  // Seconds still to go: each remaining run at its candidate's mean so far (or the mean of
  // all runs so far), spread over the workers.
  double eta_seconds(double elapsed) const {
    double left = 0;
    for (const auto& per_fold : scores) {
      double sum = 0;
      int n = 0;
      for (const auto& s : per_fold) {
        if (s) sum += s->seconds, ++n;
      }
      const double each = n > 0 ? sum / n : elapsed * workers / std::max(done, 1);
      left += each * static_cast<double>(folds - n);
    }
    return left / workers;
  }

  void report(const Task& task, const CvCandidate& c, const FoldScore& s) const {
    std::string text;
    if (c.booster != CvBooster::kAttackCat) {
      text += fmt::format("AUC {:.5f} FPR@recall0.95 {:.4f} ", s.auc, s.fpr_at_recall_95);
    }
    if (c.booster != CvBooster::kBinary) {
      text += fmt::format("accuracy {:.4f} macro-F1 {:.4f} ", s.accuracy, s.macro_f1);
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    module_logger("model")->info(
        "cv fold {}/{} config {}/{} {}: {}in {}; {}/{} runs, elapsed {}, ETA {}", task.fold + 1,
        folds, task.candidate + 1, rows.size(), c.name, text, minutes(s.seconds), done,
        tasks.size(), minutes(elapsed), minutes(eta_seconds(elapsed)));
  }
};

// Index of the best row of `kind` by kCvObjective, -1 when the grid has none.
int choose(const std::vector<CvRow>& rows, CvBooster kind, int baseline) {
  const bool binary = kind == CvBooster::kBinary;
  const auto gate = binary ? &FoldScore::auc : &FoldScore::accuracy;
  const double floor =
      baseline >= 0 ? mean_sd(rows[static_cast<size_t>(baseline)].folds, gate).mean : -INFINITY;
  // Higher is better for both keys (FPR negated).
  auto key = [&](const CvRow& r) {
    return binary ? -mean_sd(r.folds, &FoldScore::fpr_at_recall_95).mean
                  : mean_sd(r.folds, &FoldScore::macro_f1).mean;
  };
  int best = -1, fallback = -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    if (r.candidate.booster != kind) continue;
    const double g = mean_sd(r.folds, gate).mean;
    const double fallback_key = binary ? g : key(r);
    if (fallback < 0 ||
        fallback_key > (binary ? mean_sd(rows[static_cast<size_t>(fallback)].folds, gate).mean
                               : key(rows[static_cast<size_t>(fallback)]))) {
      fallback = static_cast<int>(i);
    }
    if (g >= floor && (best < 0 || key(r) > key(rows[static_cast<size_t>(best)]))) {
      best = static_cast<int>(i);
    }
  }
  return best >= 0 ? best : fallback;
}

json fold_json(const FoldScore& s, CvBooster b) {
  json j = {{"seconds", s.seconds}};
  if (b != CvBooster::kAttackCat) {
    j["auc"] = s.auc;
    j["fpr_at_recall_95"] = s.fpr_at_recall_95;
    j["binary_rounds"] = s.binary_rounds;
  }
  if (b != CvBooster::kBinary) {
    j["accuracy"] = s.accuracy;
    j["macro_f1"] = s.macro_f1;
    j["attack_cat_rounds"] = s.attack_cat_rounds;
  }
  return j;
}

json tuned_params(const CvCandidate& c) {
  const auto& o = c.options;
  json j = json::object();
  if (c.booster != CvBooster::kAttackCat) {
    j["max_depth"] = o.max_depth;
    j["eta"] = o.eta;
    j["min_child_weight"] = o.min_child_weight;
  }
  if (c.booster != CvBooster::kBinary) {
    j["cat_max_depth"] = o.cat_max_depth;
    j["cat_eta"] = o.cat_eta;
    j["cat_min_child_weight"] = o.cat_min_child_weight;
    j["class_weight_power"] = o.class_weight_power;
    j["cat_stop_metric"] = o.cat_stop_metric;
  }
  j["subsample"] = o.subsample;
  j["colsample_bytree"] = o.colsample;
  j["rounds"] = o.fixed_rounds > 0 ? fmt::format("fixed {}", o.fixed_rounds)
                                   : fmt::format("early stopping (patience {}, at most {})",
                                                 o.early_stopping_rounds, o.max_rounds);
  return j;
}

}  // namespace

std::optional<CvGrid> cv_grid(std::string_view name, const TrainOptions& base) {
  if (name == "default") {
    CvCandidate b{"binary (defaults)", CvBooster::kBinary, "the current default", base};
    CvCandidate c{"attack_cat (defaults)", CvBooster::kAttackCat, "the current default", base};
    return CvGrid{"default", {plain_candidate(base), b, c}};
  }
  if (name != "quality") return std::nullopt;
  // Small on purpose (each candidate costs five trainings on a shared machine). The binary
  // score is already near its ceiling, so only the step size is tried there. Macro-F1 over
  // ten classes, four of them under 1 % of the rows, moves with the class weights and with how
  // long the attack_cat booster runs (early stopping on the weighted mlogloss stops early).
  return CvGrid{"quality",
                {plain_candidate(base), binary_candidate(base, "the previous default", 8, 0.1),
                 binary_candidate(base, "smaller steps, more rounds", 8, 0.05),
                 binary_candidate(base, "smaller steps, shallower trees", 6, 0.05),
                 binary_candidate(base, "smaller steps, deeper trees", 10, 0.05),
                 attack_cat_candidate(base, "the previous default", 0.3, 0.2),
                 attack_cat_candidate(base, "stronger class weights", 0.5, 0.2),
                 attack_cat_candidate(base, "stronger class weights still", 0.7, 0.2),
                 attack_cat_candidate(base, "stop on the weighted error instead of mlogloss", 0.3,
                                      0.1, "merror")}};
}

std::vector<std::string> cv_grid_names() {
  return {"quality", "default"};
}

MeanSd mean_sd(const std::vector<FoldScore>& folds, double FoldScore::*metric) {
  MeanSd m;
  if (folds.empty()) return m;
  for (const auto& f : folds) m.mean += f.*metric;
  m.mean /= static_cast<double>(folds.size());
  if (folds.size() < 2) return m;
  double ss = 0;
  for (const auto& f : folds) ss += (f.*metric - m.mean) * (f.*metric - m.mean);
  m.sd = std::sqrt(ss / static_cast<double>(folds.size() - 1));
  return m;
}

std::vector<int> stratified_folds(const std::vector<int>& classes, int k, uint64_t seed) {
  std::map<int, std::vector<size_t>> by_class;
  for (size_t i = 0; i < classes.size(); ++i) by_class[classes[i]].push_back(i);
  std::mt19937_64 rng(seed);
  std::vector<int> fold(classes.size(), 0);
  int next = 0;  // continue dealing where the last class stopped, so folds stay even
  for (auto& [c, idx] : by_class) {
    for (size_t i = idx.size(); i > 1; --i) std::swap(idx[i - 1], idx[rng() % i]);
    for (size_t i : idx) {
      fold[i] = next;
      next = (next + 1) % k;
    }
  }
  return fold;
}

Result<CvResult> cross_validate(const TrainingData& data, const TrainOptions& base,
                                const CvGrid& grid, int folds) {
  const flow::Profile* profile = flow::profile_by_name(base.profile);
  if (!profile) return make_error(ErrorCode::kInvalidArgument, "unknown profile " + base.profile);
  if (folds < 2)
    return make_error(ErrorCode::kInvalidArgument, "cross-validation needs >= 2 folds");
  std::vector<int> cat(data.rows.size());
  for (size_t i = 0; i < data.rows.size(); ++i) {
    cat[i] = class_index(*data.rows[i].attack_cat);
    if (cat[i] < 0) {
      return make_error(ErrorCode::kValidation, "unknown attack_cat " + *data.rows[i].attack_cat);
    }
  }
  const auto fold_of = stratified_folds(cat, folds, base.seed);
  CvResult r;
  r.grid = grid.name;
  r.folds = folds;
  for (const auto& c : grid.candidates) r.rows.push_back({c, {}});
  const auto start = Clock::now();
  Runs runs{data, cat, fold_of, base, *profile, folds, r.rows};
  if (auto st = runs.run(std::max(base.nthread, 1)); !st) return st.error();
  for (size_t i = 0; i < r.rows.size(); ++i) {
    if (r.rows[i].candidate.booster == CvBooster::kBoth) {
      r.baseline = static_cast<int>(i);
      break;
    }
  }
  r.chosen_binary = choose(r.rows, CvBooster::kBinary, r.baseline);
  r.chosen_attack_cat = choose(r.rows, CvBooster::kAttackCat, r.baseline);
  r.chosen = base;
  if (r.chosen_binary >= 0) {
    const auto& b = r.rows[static_cast<size_t>(r.chosen_binary)].candidate.options;
    r.chosen.max_depth = b.max_depth;
    r.chosen.eta = b.eta;
    r.chosen.min_child_weight = b.min_child_weight;
  }
  if (r.chosen_attack_cat >= 0) {
    const auto& c = r.rows[static_cast<size_t>(r.chosen_attack_cat)].candidate.options;
    r.chosen.cat_max_depth = c.cat_max_depth;
    r.chosen.cat_eta = c.cat_eta;
    r.chosen.cat_min_child_weight = c.cat_min_child_weight;
    r.chosen.class_weight_power = c.class_weight_power;
    r.chosen.cat_stop_metric = c.cat_stop_metric;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

json CvResult::to_json() const {
  json cands = json::array();
  for (const auto& row : rows) {
    json fj = json::array();
    for (const auto& s : row.folds) fj.push_back(fold_json(s, row.candidate.booster));
    json mean = json::object(), sd = json::object();
    auto add = [&](const char* key, double FoldScore::*m) {
      const auto ms = mean_sd(row.folds, m);
      mean[key] = ms.mean;
      sd[key] = ms.sd;
    };
    if (row.candidate.booster != CvBooster::kAttackCat) {
      add("auc", &FoldScore::auc);
      add("fpr_at_recall_95", &FoldScore::fpr_at_recall_95);
    }
    if (row.candidate.booster != CvBooster::kBinary) {
      add("accuracy", &FoldScore::accuracy);
      add("macro_f1", &FoldScore::macro_f1);
    }
    add("seconds", &FoldScore::seconds);
    cands.push_back({{"name", row.candidate.name},
                     {"booster", booster_name(row.candidate.booster)},
                     {"why", row.candidate.why},
                     {"params", tuned_params(row.candidate)},
                     {"folds", fj},
                     {"mean", mean},
                     {"sd", sd}});
  }
  auto name_of = [&](int i) {
    return i >= 0 ? json(rows[static_cast<size_t>(i)].candidate.name) : json(nullptr);
  };
  return {
      {"grid", grid},
      {"folds", folds},
      {"method",
       "stratified k-fold on the training file only; in each fold the other folds are split "
       "like train does (stratified, validation_fraction) for early stopping, and the fold "
       "itself is scored"},
      {"objective", kCvObjective},
      {"candidates", cands},
      {"baseline", name_of(baseline)},
      {"chosen", {{"binary", name_of(chosen_binary)}, {"attack_cat", name_of(chosen_attack_cat)}}},
      {"threads", chosen.nthread},
      {"seconds", seconds}};
}

Result<Trained> train_with_baseline(const TrainingData& data, const TrainOptions& opts,
                                    bool with_baseline) {
  Trained out;
  if (!with_baseline) {
    auto a = train(data, opts);
    if (!a) return a.error();
    out.model = std::move(*a);
    return out;
  }
  const bool together = opts.nthread >= 2;
  TrainOptions mine = opts;
  TrainOptions plain = plain_options(opts);
  if (together) mine.nthread = plain.nthread = std::max(opts.nthread / 2, 1);
  std::optional<Result<std::unique_ptr<Artifact>>> b;
  std::thread side;
  if (together) {
    side = std::thread([&] { b.emplace(train(data, plain)); });
  }
  auto a = train(data, mine);
  if (side.joinable()) side.join();
  if (!b) b.emplace(train(data, plain));
  if (!a) return a.error();
  if (!*b) return b->error();
  out.model = std::move(*a);
  out.baseline = std::move(**b);
  return out;
}

Result<Trained> train_chosen(const TrainingData& data, const TrainOptions& base, const CvGrid& grid,
                             int folds, bool with_baseline) {
  auto log = module_logger("model");
  auto cv = cross_validate(data, base, grid, folds);
  if (!cv) return cv.error();
  const auto cvj = cv->to_json();
  log->info("cross-validation ({} folds, {}):\n{}", folds, minutes(cv->seconds),
            cv_table_text(cvj));
  auto t = train_with_baseline(data, cv->chosen, with_baseline);
  if (!t) return t.error();
  t->model->meta.training["cv"] = cvj;
  return t;
}

std::string cv_table_text(const json& cv) {
  std::string out =
      "| candidate | booster | AUC | FPR at recall 0.95 | attack_cat accuracy | attack_cat "
      "macro-F1 "
      "| rounds | seconds per fold |\n|---|---|---|---|---|---|---|---|\n";
  const auto& chosen = cv.at("chosen");
  for (const auto& c : cv.at("candidates")) {
    const auto name = c.at("name").get<std::string>();
    const bool picked =
        chosen.value("binary", json()) == name || chosen.value("attack_cat", json()) == name;
    auto cell = [&](const char* key, double scale, int digits, const char* unit) -> std::string {
      if (!c.at("mean").contains(key)) return "";
      return fmt::format("{:.{}f} ± {:.{}f}{}", scale * c["mean"][key].get<double>(), digits,
                         scale * c["sd"][key].get<double>(), digits, unit);
    };
    std::vector<std::string> bin_rounds, cat_rounds;
    for (const auto& f : c.at("folds")) {
      if (f.contains("binary_rounds")) bin_rounds.push_back(f["binary_rounds"].dump());
      if (f.contains("attack_cat_rounds")) cat_rounds.push_back(f["attack_cat_rounds"].dump());
    }
    const auto rounds = fmt::format("{}{}{}", fmt::join(bin_rounds, "/"),
                                    bin_rounds.empty() || cat_rounds.empty() ? "" : "; ",
                                    fmt::join(cat_rounds, "/"));
    out += fmt::format("| {}{} | {} | {} | {} | {} | {} | {} | {:.0f} |\n", name,
                       picked ? " (chosen)" : "", c.at("booster").get<std::string>(),
                       cell("auc", 1, 4, ""), cell("fpr_at_recall_95", 100, 2, " %"),
                       cell("accuracy", 1, 4, ""), cell("macro_f1", 1, 4, ""), rounds,
                       c.at("mean").at("seconds").get<double>());
  }
  return out;
}

json baseline_record(const ModelMeta& baseline, json report) {
  report.erase("curves");
  const auto& t = baseline.training;
  return {{"model_version", baseline.model_version},
          {"name", "plain XGBoost"},
          {"params",
           "400 rounds, depth 8, XGBoost defaults otherwise (eta 0.3, no row or "
           "column sampling, min_child_weight 1), no class weights; same features, "
           "split and seed as the default model"},
          {"rounds_rule", t.value("rounds_rule", "")},
          {"training_seconds", t.value("seconds", 0.0)},
          {"report", report}};
}

}  // namespace flowsentry::model
