// Scorer speed: batches of flows (binary score only, and score + attack_cat) and one flow at a
// time, with the committed models/default. Rows come from UNSW-NB15 test.csv when present.
// Baseline beside it (bench/baseline/rf_baseline.py bench): RandomForest predict_proba
// ~130k flows/s in batches, ~13 ms per single flow.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "flow/reader.h"
#include "model/scorer.h"

namespace fm = flowsentry::model;
namespace ff = flowsentry::flow;

namespace {

struct Fixture {
  std::unique_ptr<fm::Scorer> scorer;
  std::vector<ff::FlowRecord> rows;
};

Fixture& fixture() {
  static Fixture f = [] {
    Fixture x;
    auto s = fm::Scorer::load(std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default");
    if (!s) {
      std::fprintf(stderr, "model_bench: %s\n", s.error().to_string().c_str());
      std::exit(1);
    }
    x.scorer = std::move(*s);
    const std::string test = std::string(FLOWSENTRY_DATASET_DIR) + "/test.csv";
    if (auto r = ff::read_valid_flows(test); r.ok()) x.rows = std::move(*r);
    if (x.rows.empty()) {  // no data set: a few plausible flows
      ff::FlowRecord r;
      r.proto = "tcp";
      r.state = "FIN";
      for (int i = 0; i < 1000; ++i) {
        r[ff::kSbytes] = 100 + i;
        r[ff::kSttl] = i % 2 ? 254 : 31;
        x.rows.push_back(r);
      }
    }
    return x;
  }();
  return f;
}

void BM_ScoreBatchBinary(benchmark::State& state) {
  auto& f = fixture();
  const auto batch = static_cast<size_t>(state.range(0));
  std::vector<float> scores;
  size_t off = 0;
  for (auto _ : state) {
    if (off + batch > f.rows.size()) off = 0;
    auto st = f.scorer->score_binary(std::span(f.rows).subspan(off, batch), scores);
    benchmark::DoNotOptimize(st);
    off += batch;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}
BENCHMARK(BM_ScoreBatchBinary)->Arg(256)->Arg(4096)->UseRealTime();

void BM_ScoreBatchFull(benchmark::State& state) {
  auto& f = fixture();
  const auto batch = static_cast<size_t>(state.range(0));
  std::vector<fm::Verdict> out;
  size_t off = 0;
  for (auto _ : state) {
    if (off + batch > f.rows.size()) off = 0;
    auto st = f.scorer->score(std::span(f.rows).subspan(off, batch), out);
    benchmark::DoNotOptimize(st);
    off += batch;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(batch));
}
BENCHMARK(BM_ScoreBatchFull)->Arg(4096)->UseRealTime();

void BM_ScoreOneFlow(benchmark::State& state) {
  auto& f = fixture();
  std::vector<fm::Verdict> out(1);
  size_t i = 0;
  for (auto _ : state) {
    auto st = f.scorer->score(std::span(f.rows).subspan(i++ % f.rows.size(), 1), std::span(out));
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScoreOneFlow)->UseRealTime()->Threads(1)->Threads(2);

void BM_ExplainOneFlow(benchmark::State& state) {
  auto& f = fixture();
  std::vector<fm::Verdict> out(1);
  size_t i = 0;
  for (auto _ : state) {
    auto st = f.scorer->score(std::span(f.rows).subspan(i++ % f.rows.size(), 1), std::span(out),
                              {.top_k = 5});
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations());
}
// Two threads: what concurrent HTTP requests, each explained, get.
BENCHMARK(BM_ExplainOneFlow)->UseRealTime()->Threads(1)->Threads(2);

}  // namespace

BENCHMARK_MAIN();
