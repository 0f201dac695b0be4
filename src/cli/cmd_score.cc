#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "flow/profile.h"
#include "flow/reader.h"
#include "model/scorer.h"

namespace flowsentry::cli {
namespace {

struct ScoreOpts {
  std::string model = "models/default";
  std::string data;
  std::string out;
  int explain = 0;
  bool explain_anomalies_only = false;
  int threads = 2;
  size_t batch = 4096;
};

int run_score(const ScoreOpts& o) {
  auto scorer = model::Scorer::load(o.model, {.nthread = o.threads});
  if (!scorer) {
    std::cerr << "flowsentry score: " << scorer.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto reader = flow::open_flow_file(o.data);
  if (!reader) {
    std::cerr << "flowsentry score: " << reader.error().to_string() << "\n";
    return kExitRuntime;
  }
  if (auto st = flow::check_source_fills((*scorer)->meta().features.profile(), (*reader)->profile(),
                                         o.data);
      !st) {
    std::cerr << "flowsentry score: " << st.error().to_string() << "\n";
    return kExitRuntime;
  }
  FILE* out = stdout;
  if (!o.out.empty()) {
    out = std::fopen(o.out.c_str(), "wb");
    if (!out) {
      std::cerr << "flowsentry score: cannot open " << o.out << " for writing\n";
      return kExitRuntime;
    }
  }
  auto& r = **reader;
  std::vector<flow::FlowRecord> batch(o.batch);
  std::vector<int64_t> lines(o.batch);
  std::vector<model::Verdict> verdicts;
  std::string buf;
  const model::ExplainOptions explain{o.explain, o.explain_anomalies_only};
  size_t filled = 0;
  int64_t scored = 0, invalid = 0;
  bool ok = true;
  auto flush = [&] {
    if (filled == 0) return;
    std::span<const flow::FlowRecord> rows(batch.data(), filled);
    if (auto st = (*scorer)->score(rows, verdicts, explain); !st) {
      std::cerr << "flowsentry score: " << st.error().to_string() << "\n";
      ok = false;
      return;
    }
    buf.clear();
    for (size_t i = 0; i < filled; ++i) {
      model::append_verdict_json(verdicts[i], buf, rows[i].id.value_or(-1), lines[i]);
      buf += '\n';
    }
    if (std::fwrite(buf.data(), 1, buf.size(), out) != buf.size()) {
      std::cerr << "flowsentry score: write failed (disk full?)\n";
      ok = false;
    }
    scored += static_cast<int64_t>(filled);
    filled = 0;
  };
  flow::FieldProblem problem;
  while (ok) {
    auto n = r.next(batch[filled], problem);
    if (n == flow::FlowReader::Next::kEnd) break;
    if (n == flow::FlowReader::Next::kInvalid) {
      ++invalid;
      std::cerr << fmt::format("{}:{}: invalid ({}): {}{}\n", o.data, r.line(), problem.reason,
                               problem.field.empty() ? "" : problem.field + ": ", problem.problem);
      continue;
    }
    lines[filled] = r.line();
    if (++filled == batch.size()) flush();
  }
  if (ok) flush();
  if (out != stdout && std::fclose(out) != 0) ok = false;
  if (out == stdout) std::fflush(stdout);
  std::cerr << fmt::format("flowsentry score: {} flows scored, {} invalid rows skipped\n", scored,
                           invalid);
  return ok ? kExitOk : kExitRuntime;
}

}  // namespace

Command add_score_command(CLI::App& root) {
  auto* app = root.add_subcommand("score", "Score a flow file and write one JSON line per flow");
  auto opts = std::make_shared<ScoreOpts>();
  app->add_option("--model", opts->model, "Artifact directory")->capture_default_str();
  app->add_option("--data", opts->data,
                  "Flow file: CSV with a header, JSON lines, or a pcap/pcapng capture")
      ->required();
  app->add_option("--out", opts->out, "Output file (default: stdout)");
  app->add_option("--explain", opts->explain,
                  "Add top_features: the K features with the largest |SHAP| contribution")
      ->check(CLI::Range(0, 64));
  app->add_flag("--explain-anomalies-only", opts->explain_anomalies_only,
                "With --explain, explain only flows labelled as attacks");
  app->add_option("--threads", opts->threads, "XGBoost threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->add_option("--batch", opts->batch, "Flows scored per batch")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app->footer(
      "Each line: {id, line, score, label, attack_cat, attack_cat_prob, threshold,\n"
      "model_version[, top_features: [{feature, value, contribution}]]}. Invalid rows are\n"
      "reported on stderr with their line and reason, counted, and skipped. A model whose\n"
      "feature profile needs columns the file does not fill is refused (exit 1) naming them.");
  return {app, [opts] { return run_score(*opts); }};
}

}  // namespace flowsentry::cli
