// The cost of shadow scoring: the pipeline (generated flows -> score -> SQLite) over the same
// flows with models/default alone, then with models/portable scoring beside it as a shadow.
// Prints flows/s of each and the ratio. Usage: bench_shadow [FLOWS]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>

#include "pipeline/pipeline.h"
#include "store/store.h"
#include "stream/generator.h"

namespace fs = std::filesystem;
using namespace flowsentry;

namespace {

std::shared_ptr<const model::Scorer> load(const std::string& name) {
  auto s = model::Scorer::load(std::string(FLOWSENTRY_SOURCE_DIR) + "/models/" + name);
  if (!s) {
    std::fprintf(stderr, "bench_shadow: %s\n", s.error().to_string().c_str());
    std::exit(1);
  }
  return std::shared_ptr<const model::Scorer>(std::move(*s));
}

// Flows per second through the whole pipeline, best of three runs.
double run(model::ScorerHandle& models, uint64_t flows) {
  double best = 0;
  for (int i = 0; i < 3; ++i) {
    const auto db = fs::temp_directory_path() / ("fs_shadow_bench_" + std::to_string(getpid()));
    for (auto s : {"", "-wal", "-shm"}) fs::remove(db.string() + s);
    auto store = store::open_store(db.string());
    if (!store) std::exit(1);
    stream::GeneratorSourceOptions o;
    o.generator.seed = 5;
    o.count = flows;
    stream::GeneratorSource source(o);
    pipeline::PipelineOptions po;
    po.explain_per_second = 0;
    pipeline::Pipeline p(source, models, **store, po);
    auto t0 = std::chrono::steady_clock::now();
    if (!p.run()) std::exit(1);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    best = std::max(best, static_cast<double>(flows) / s);
    store->reset();
    for (auto x : {"", "-wal", "-shm"}) fs::remove(db.string() + x);
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const uint64_t flows = argc > 1 ? std::stoull(argv[1]) : 200000;
  model::ScorerHandle models(load("default"));
  const double alone = run(models, flows);
  models.set_shadow(load("portable"));
  const double shadowed = run(models, flows);
  auto stats = models.shadow_stats().to_json();
  std::printf("pipeline, %llu generated flows -> SQLite (best of 3)\n",
              static_cast<unsigned long long>(flows));
  std::printf("  models/default alone:                      %9.0f flows/s\n", alone);
  std::printf("  with models/portable as shadow:            %9.0f flows/s (%.0f%%)\n", shadowed,
              100 * shadowed / alone);
  std::printf("  shadow label agreement %.4f over %s flows\n",
              stats["agreement"].is_number() ? stats["agreement"].get<double>() : 0.0,
              stats["flows"].dump().c_str());
  return 0;
}
