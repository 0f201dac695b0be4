#include "model/boost.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "common/log.h"

namespace flowsentry::model {
namespace {

using Clock = std::chrono::steady_clock;

double parse_eval(const std::string& line) {
  const auto colon = line.rfind(':');
  return colon == std::string::npos ? NAN : std::strtod(line.c_str() + colon + 1, nullptr);
}

Params common_params(const TrainOptions& o) {
  return {
      {"tree_method", "hist"},
      {"nthread", std::to_string(o.nthread)},
      {"seed", std::to_string(o.seed % 2147483647)},
      {"subsample", fmt::format("{}", o.subsample)},
      {"colsample_bytree", fmt::format("{}", o.colsample)},
      {"max_bin", "256"},
      {"verbosity", "1"},
  };
}

}  // namespace

int class_index(const std::string& cat) {
  for (size_t i = 0; i < flow::kAttackCategories.size(); ++i) {
    if (flow::kAttackCategories[i] == cat) return static_cast<int>(i);
  }
  return -1;
}

Matrix encode_rows(const FeatureSpace& fs, const std::vector<flow::FlowRecord>& rows,
                   const std::vector<size_t>& idx) {
  Matrix m;
  m.rows = idx.size();
  m.x.resize(idx.size() * fs.size());
  for (size_t i = 0; i < idx.size(); ++i) fs.encode(rows[idx[i]], &m.x[i * fs.size()]);
  return m;
}

std::vector<float> class_weights(const std::vector<int>& cat, const std::vector<size_t>& idx,
                                 double power) {
  std::vector<int64_t> count(flow::kAttackCategories.size(), 0);
  for (size_t i : idx) count[static_cast<size_t>(cat[i])]++;
  const double largest = static_cast<double>(*std::max_element(count.begin(), count.end()));
  std::vector<float> w(count.size());
  for (size_t c = 0; c < count.size(); ++c) {
    w[c] = static_cast<float>(
        std::pow(largest / static_cast<double>(std::max<int64_t>(count[c], 1)), power));
  }
  return w;
}

Params binary_params(const TrainOptions& o) {
  auto p = common_params(o);
  p.insert({{"objective", "binary:logistic"},
            {"eval_metric", "logloss"},
            {"max_depth", std::to_string(o.max_depth)},
            {"min_child_weight", fmt::format("{}", o.min_child_weight)},
            {"eta", fmt::format("{}", o.eta)}});
  return p;
}

Params attack_cat_params(const TrainOptions& o) {
  auto p = common_params(o);
  p.insert({{"objective", "multi:softprob"},
            {"num_class", std::to_string(flow::kAttackCategories.size())},
            {"eval_metric", o.cat_stop_metric},
            {"max_depth", std::to_string(o.cat_max_depth)},
            {"min_child_weight", fmt::format("{}", o.cat_min_child_weight)},
            {"eta", fmt::format("{}", o.cat_eta)}});
  return p;
}

Result<BoostResult> boost(const char* what, const Params& params, const xgb::DMatrix& dtrain,
                          const xgb::DMatrix& dvalid, const TrainOptions& o, bool log_progress) {
  auto log = module_logger("model");
  const auto start = Clock::now();
  const xgb::DMatrix* cache[] = {&dtrain, &dvalid};
  auto b = xgb::Booster::create(cache);
  if (!b) return b.error();
  for (const auto& [k, v] : params) {
    if (auto st = b->set_param(k, v); !st) return st.error();
  }
  const bool fixed = o.fixed_rounds > 0;
  BoostResult r;
  r.best_metric = INFINITY;
  int it = 0;
  for (; it < (fixed ? o.fixed_rounds : o.max_rounds); ++it) {
    if (auto st = b->update(it, dtrain); !st) return st.error();
    auto line = b->eval(it, dvalid, "valid");
    if (!line) return line.error();
    const double metric = parse_eval(*line);
    if (metric < r.best_metric || fixed) {
      r.best_metric = metric;
      r.best_rounds = it + 1;
    }
    if (log_progress && (it + 1) % 50 == 0) {
      log->info("{}: round {} {} (best {:.6f} at round {})", what, it + 1,
                line->substr(line->find('\t') + 1), r.best_metric, r.best_rounds);
    }
    if (!fixed && it + 1 - r.best_rounds >= o.early_stopping_rounds) break;
  }
  auto sliced = b->slice(r.best_rounds);
  if (!sliced) return sliced.error();
  r.booster = std::move(*sliced);
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (log_progress) {
    log->info("{}: stopped after {} rounds, keeping {} (valid {:.6f}) in {:.1f}s", what,
              std::min(it + 1, fixed ? o.fixed_rounds : o.max_rounds), r.best_rounds, r.best_metric,
              r.seconds);
  }
  return r;
}

}  // namespace flowsentry::model
