// `flowsentry bench`: in-process measurements. Sub-subcommands register here; `score` times
// the model Scorer in batches and one flow at a time, `pipeline` (cmd_bench_pipeline.cc) the
// pipeline's explained anomalies at a fixed rate.
#include <algorithm>
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "flow/reader.h"
#include "model/scorer.h"

namespace flowsentry::cli {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchScoreOpts {
  std::string model = "models/default";
  std::string data;
  size_t min_rows = 100000;
  size_t batch = 4096;
  int threads = 2;
  size_t single = 20000;
  size_t explained = 300;
  std::string engine = "auto";
};

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double percentile(const std::vector<double>& sorted, double q) {
  return sorted[static_cast<size_t>(q * static_cast<double>(sorted.size() - 1))];
}

// Microseconds per one-flow call with SHAP top 3, sorted.
std::vector<double> explain_times(const model::Scorer& scorer,
                                  std::span<const flow::FlowRecord> all, size_t calls) {
  std::vector<model::Verdict> v(1);
  std::vector<double> us;
  for (size_t i = 0; i < calls + 20; ++i) {
    const auto t = Clock::now();
    auto st = scorer.score(all.subspan((i * 7919) % all.size(), 1), std::span(v), {.top_k = 3});
    if (!st) std::cerr << st.error().to_string() << "\n";
    if (i >= 20) us.push_back(seconds_since(t) * 1e6);  // first 20 are warm-up
  }
  std::sort(us.begin(), us.end());
  return us;
}

// TreeSHAP side by side: this scorer's and, when it is native, XGBoost's on the same flows.
void print_explain_times(const model::Scorer& scorer, std::span<const flow::FlowRecord> all,
                         const BenchScoreOpts& o) {
  if (o.explained == 0) return;
  const auto us = explain_times(scorer, all, o.explained);
  std::cout << fmt::format(
      "one flow explained (SHAP top 3), {} calls: p50 {:.0f} us, p99 {:.0f} us\n", us.size(),
      percentile(us, 0.5), percentile(us, 0.99));
  if (!scorer.native()) return;
  auto xgb =
      model::Scorer::load(o.model, {.nthread = o.threads, .engine = model::Engine::kXgboost});
  if (!xgb) return;
  const auto base = explain_times(**xgb, all, o.explained);
  std::cout << fmt::format(
      "  same flows, XGBoost's TreeSHAP: p50 {:.0f} us, p99 {:.0f} us ({:.1f}x)\n",
      percentile(base, 0.5), percentile(base, 0.99), percentile(base, 0.5) / percentile(us, 0.5));
}

int run_bench_score(const BenchScoreOpts& o) {
  const auto engine = o.engine == "xgboost" ? model::Engine::kXgboost : model::Engine::kAuto;
  auto scorer = model::Scorer::load(o.model, {.nthread = o.threads, .engine = engine});
  if (!scorer) {
    std::cerr << "flowsentry bench score: " << scorer.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto read = flow::read_valid_flows(o.data);
  if (!read) {
    std::cerr << "flowsentry bench score: " << read.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto& rows = *read;
  if (rows.empty()) {
    std::cerr << "flowsentry bench score: " << o.data << " has no valid rows\n";
    return kExitRuntime;
  }
  const size_t distinct = rows.size();
  for (size_t i = 0; rows.size() < o.min_rows; ++i) rows.push_back(rows[i % distinct]);
  const std::span<const flow::FlowRecord> all(rows);

  std::vector<float> scores;
  std::vector<model::Verdict> verdicts;
  auto run_batches = [&](bool full) -> double {
    const auto t = Clock::now();
    for (size_t off = 0; off < all.size(); off += o.batch) {
      auto part = all.subspan(off, std::min(o.batch, all.size() - off));
      auto st = full ? (*scorer)->score(part, verdicts) : (*scorer)->score_binary(part, scores);
      if (!st) std::cerr << st.error().to_string() << "\n";
    }
    return static_cast<double>(all.size()) / seconds_since(t);
  };
  run_batches(false);  // warm-up: buffers grow, caches fill
  const double binary_fps = run_batches(false);
  const double full_fps = run_batches(true);

  std::vector<double> us;
  us.reserve(o.single);
  verdicts.resize(1);
  for (size_t i = 0; i < o.single + 1000; ++i) {
    const auto t = Clock::now();
    auto st = (*scorer)->score(all.subspan(i % all.size(), 1), std::span(verdicts));
    const double d = seconds_since(t) * 1e6;
    if (!st) std::cerr << st.error().to_string() << "\n";
    if (i >= 1000) us.push_back(d);  // first 1000 are warm-up
  }
  std::sort(us.begin(), us.end());
  auto pct = [&](double q) { return percentile(us, q); };

  std::cout << fmt::format("model: {} ({}), {}, {} threads\n", o.model, (*scorer)->model_version(),
                           (*scorer)->native() ? "native forest" : "XGBoost predictor", o.threads);
  std::cout << fmt::format("rows: {} ({} distinct from {}), batch {}\n", all.size(), distinct,
                           o.data, o.batch);
  std::cout << fmt::format("batch, binary score only:         {:>10.0f} flows/s\n", binary_fps);
  std::cout << fmt::format("batch, score + attack_cat:        {:>10.0f} flows/s\n", full_fps);
  std::cout << fmt::format(
      "one flow at a time (score + attack_cat), {} calls: p50 {:.1f} us, p99 {:.1f} us\n",
      us.size(), pct(0.50), pct(0.99));
  print_explain_times(**scorer, all, o);
  return kExitOk;
}

}  // namespace

Command add_bench_command(CLI::App& root) {
  auto* app = root.add_subcommand("bench", "In-process benchmarks");
  app->require_subcommand(1);
  auto* score = app->add_subcommand("score", "Scorer throughput (batches) and per-flow latency");
  auto opts = std::make_shared<BenchScoreOpts>();
  score->add_option("--model", opts->model, "Artifact directory")->capture_default_str();
  score->add_option("--data", opts->data, "Flow file (rows are repeated up to --min-rows)")
      ->required();
  score->add_option("--min-rows", opts->min_rows, "Rows scored per pass")->capture_default_str();
  score->add_option("--batch", opts->batch, "Flows per batch")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  score
      ->add_option("--threads", opts->threads, "Threads per call (XGBoost; native batches >= 2048)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  score->add_option("--single", opts->single, "One-flow calls timed")->capture_default_str();
  score->add_option("--explained", opts->explained, "One-flow calls with SHAP timed (0: none)")
      ->capture_default_str();
  score
      ->add_option("--engine", opts->engine,
                   "Who computes score and attack_cat: auto (native forest when the model "
                   "allows) or xgboost")
      ->check(CLI::IsMember({"auto", "xgboost"}))
      ->capture_default_str();
  std::function<int()> run_pipeline;
  add_bench_pipeline(*app, run_pipeline);
  return {app, [opts, score, run_pipeline] {
            if (score->parsed()) return run_bench_score(*opts);
            const int code = run_pipeline();
            return code >= 0 ? code : kExitUsage;
          }};
}

}  // namespace flowsentry::cli
