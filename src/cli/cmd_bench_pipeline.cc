// `flowsentry bench pipeline`: the pipeline (batching, scoring with the explanation budget,
// SQLite store) fed at a fixed rate from memory with a fixed share of anomalies; prints how
// many anomalies it explained per second and whether it kept up with the rate.
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "flow/reader.h"
#include "pipeline/kafka_worker.h"
#include "pipeline/pipeline.h"
#include "store/store.h"
#include "stream/generator.h"
#include "stream/memory_source.h"

namespace flowsentry::cli {
namespace {

struct BenchPipelineOpts {
  std::string model = "models/default";
  std::string data;  // empty: generated flows
  double rate = 10000;
  double anomalies = 0.05;
  double seconds = 20;
  int threads = 2;
  std::string config;
  std::vector<std::string> set;
};

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

Result<std::vector<flow::FlowRecord>> candidate_flows(const std::string& data) {
  if (!data.empty()) return flow::read_valid_flows(data);
  stream::FlowGenerator gen({});
  std::vector<flow::FlowRecord> rows;
  for (int i = 0; i < 20000; ++i) rows.push_back(i % 2 ? gen.next_attack() : gen.next_normal());
  return rows;
}

// 20,000 flows, `share` of them ones the model calls anomalies, spread evenly.
Result<std::vector<flow::FlowRecord>> workload(const model::Scorer& scorer,
                                               const std::vector<flow::FlowRecord>& rows,
                                               double share) {
  std::vector<model::Verdict> v;
  if (auto st = scorer.score(rows, v); !st) return st.error();
  std::vector<size_t> anomalies, normal;
  for (size_t i = 0; i < rows.size(); ++i) (v[i].label == 1 ? anomalies : normal).push_back(i);
  if (anomalies.empty() || normal.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the flows need both anomalies and normal ones for this model");
  }
  std::vector<flow::FlowRecord> out;
  double owed = 0;
  for (size_t i = 0, a = 0, b = 0; i < 20000; ++i) {
    owed += share;
    const bool anomaly = owed >= 1;
    if (anomaly) owed -= 1;
    out.push_back(anomaly ? rows[anomalies[a++ % anomalies.size()]]
                          : rows[normal[b++ % normal.size()]]);
  }
  return out;
}

int run_bench_pipeline(const BenchPipelineOpts& o) {
  auto fail = [](const Error& e) {
    std::cerr << "flowsentry bench pipeline: " << e.to_string() << "\n";
    return kExitRuntime;
  };
  auto config = load_config(o.config, o.set);
  if (!config) return kExitUsage;
  auto scorer = model::Scorer::load(o.model, {.nthread = o.threads});
  if (!scorer) return fail(scorer.error());
  auto rows = candidate_flows(o.data);
  if (!rows) return fail(rows.error());
  auto flows = workload(**scorer, *rows, o.anomalies);
  if (!flows) return fail(flows.error());

  const auto dir = std::filesystem::temp_directory_path() /
                   fmt::format("flowsentry-bench-pipeline-{}", ::getpid());
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() { std::filesystem::remove_all(dir); }
  } cleanup{dir};
  auto store = store::open_store((dir / "bench.db").string());
  if (!store) return fail(store.error());

  const auto count = static_cast<uint64_t>(o.rate * o.seconds);
  stream::MemorySource source(std::move(*flows), {.name = "bench", .eps = o.rate, .count = count});
  const auto popts = pipeline::pipeline_options(*config);
  pipeline::Pipeline pipe(source, **scorer, **store, popts);
  std::atomic<uint64_t> anomalies{0}, explained{0};
  pipe.add_observer([&](std::span<const model::ScoredFlow> batch) {
    for (const auto& sf : batch) {
      anomalies += sf.verdict.label == 1;
      explained += sf.verdict.label == 1 && !sf.verdict.top_features.empty();
    }
  });
  const double cpu0 = cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  if (auto st = pipe.run(); !st) return fail(st.error());
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double cpu = cpu_seconds() - cpu0;

  const auto stats = pipe.stats();
  const double late = wall - static_cast<double>(count) / o.rate;
  const auto a = static_cast<double>(anomalies.load()), e = static_cast<double>(explained.load());
  std::cout << fmt::format(
      "pipeline at {:.0f} flows/s with {:.1f} % anomalies for {:.0f} s "
      "(pipeline.explain_per_second "
      "{}, explain_top_k {}, SQLite store)\n",
      o.rate, 100 * o.anomalies, o.seconds, popts.explain_per_second, popts.explain_top_k);
  std::cout << fmt::format("stored {} of {} flows in {:.2f} s: {:.0f} flows/s, {}\n", stats.stored,
                           count, wall, static_cast<double>(stats.stored) / wall,
                           late < 1 ? "kept up" : fmt::format("fell behind by {:.1f} s", late));
  std::cout << fmt::format(
      "explained anomalies: {:.0f} of {:.0f} ({:.1f} %), {:.0f} explained anomalies/s; process CPU "
      "{:.2f} s per second\n",
      e, a, a > 0 ? 100 * e / a : 0.0, e / wall, cpu / wall);
  return kExitOk;
}

}  // namespace

void add_bench_pipeline(CLI::App& bench, std::function<int()>& run) {
  auto* app = bench.add_subcommand(
      "pipeline", "Explained anomalies per second of the pipeline at a fixed rate and share");
  auto opts = std::make_shared<BenchPipelineOpts>();
  app->add_option("--model", opts->model, "Artifact directory")->capture_default_str();
  app->add_option("--data", opts->data, "Flow file to draw flows from (default: generated flows)");
  app->add_option("--rate", opts->rate, "Flows per second")
      ->check(CLI::Range(1.0, 1e7))
      ->capture_default_str();
  app->add_option("--anomalies", opts->anomalies, "Share of the flows the model calls anomalies")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  app->add_option("--seconds", opts->seconds, "How long to run")
      ->check(CLI::Range(1.0, 3600.0))
      ->capture_default_str();
  app->add_option("--threads", opts->threads, "Scorer threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->add_option("--config", opts->config, "Settings file (pipeline.* settings apply)");
  app->add_option("--set", opts->set,
                  "KEY=VALUE setting override, e.g. "
                  "pipeline.explain_per_second=20");
  run = [opts, app] { return app->parsed() ? run_bench_pipeline(*opts) : -1; };
}

}  // namespace flowsentry::cli
