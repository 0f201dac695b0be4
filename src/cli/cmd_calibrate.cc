// `flowsentry calibrate`: moves a model's threshold so that a sample of a site's known-good
// traffic is flagged at no more than a target rate, and records that in the model.
#include <filesystem>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "detect/alert.h"
#include "flow/reader.h"
#include "model/calibrate.h"
#include "model/scorer.h"

namespace flowsentry::cli {
namespace {

namespace stdfs = std::filesystem;

struct CalibrateOpts {
  std::string model = "models/default";
  std::string data;
  std::vector<std::string> normal_data;
  std::vector<std::string> attack_data;
  std::string out;
  std::string site;
  double target_rate = 0.01;
  double confidence = 0.95;
  int threads = 2;
};

// P(attack) of every valid flow of `path`, with a progress line on stderr every million.
Result<std::vector<float>> score_file(const model::Scorer& scorer, const std::string& path) {
  auto reader = flow::open_flow_file(path);
  if (!reader) return reader.error();
  constexpr size_t kBatch = 4096;
  std::vector<flow::FlowRecord> batch(kBatch);
  std::vector<float> scores, part;
  size_t filled = 0;
  int64_t invalid = 0;
  auto flush = [&]() -> Status {
    if (filled == 0) return {};
    if (auto st = scorer.score_binary({batch.data(), filled}, part); !st) return st;
    scores.insert(scores.end(), part.begin(), part.end());
    if (scores.size() / 1000000 != (scores.size() - filled) / 1000000) {
      std::cerr << fmt::format("flowsentry calibrate: {}: {} flows scored\n", path, scores.size());
    }
    filled = 0;
    return {};
  };
  flow::FieldProblem problem;
  for (;;) {
    auto n = (*reader)->next(batch[filled], problem);
    if (n == flow::FlowReader::Next::kEnd) break;
    if (n == flow::FlowReader::Next::kInvalid) {
      ++invalid;
      continue;
    }
    if (++filled == kBatch) {
      if (auto st = flush(); !st) return st.error();
    }
  }
  if (auto st = flush(); !st) return st.error();
  if (invalid > 0) {
    std::cerr << fmt::format("flowsentry calibrate: {}: {} invalid rows skipped\n", path, invalid);
  }
  return scores;
}

// The scores of several files, concatenated.
Result<std::vector<float>> score_files(const model::Scorer& scorer,
                                       const std::vector<std::string>& paths) {
  std::vector<float> all;
  for (const auto& path : paths) {
    auto s = score_file(scorer, path);
    if (!s) return s.error();
    all.insert(all.end(), s->begin(), s->end());
  }
  return all;
}

// Copies the artifact's files to `out` (a new or existing directory) unless it is `dir`.
Status copy_artifact(const std::string& dir, const std::string& out) {
  std::error_code ec;
  if (stdfs::exists(out, ec) && stdfs::equivalent(dir, out, ec)) return {};
  stdfs::create_directories(out, ec);
  if (ec) return make_error(ErrorCode::kIo, "cannot create the directory: " + ec.message(), out);
  for (const auto& e : stdfs::directory_iterator(dir, ec)) {
    if (!e.is_regular_file()) continue;
    stdfs::copy_file(e.path(), stdfs::path(out) / e.path().filename(),
                     stdfs::copy_options::overwrite_existing, ec);
    if (ec) return make_error(ErrorCode::kIo, "cannot copy: " + ec.message(), e.path().string());
  }
  return {};
}

int fail(const Error& e) {
  std::cerr << "flowsentry calibrate: " << e.to_string() << "\n";
  return kExitRuntime;
}

int run_calibrate(const CalibrateOpts& o) {
  auto scorer = model::Scorer::load(o.model, {.nthread = o.threads});
  if (!scorer) return fail(scorer.error());
  model::ModelMeta meta = (*scorer)->meta();
  const double validation_threshold =
      meta.calibration ? meta.calibration->validation_threshold : meta.threshold;
  auto scores = score_file(**scorer, o.data);
  if (!scores) return fail(scores.error());
  const double before = model::flagged_share(*scores, validation_threshold);
  auto choice = model::choose_threshold(*scores, o.target_rate, validation_threshold, o.confidence);
  if (!choice) return fail(choice.error());

  model::Calibration c;
  c.site = o.site.empty() ? stdfs::path(o.data).stem().string() : o.site;
  c.threshold = choice->threshold;
  c.validation_threshold = validation_threshold;
  c.target_rate = o.target_rate;
  c.confidence = o.confidence;
  c.rate_bound = choice->rate_bound;
  c.flows = static_cast<int64_t>(scores->size());
  c.rate_before = before;
  c.rate_after = choice->rate;
  auto sha = model::sha256_file(o.data);
  if (!sha) return fail(sha.error());
  c.data = {stdfs::path(o.data).filename().string(), *sha, c.flows};
  c.created = detect::iso8601(wall_seconds());
  auto normal = score_files(**scorer, o.normal_data);
  if (!normal) return fail(normal.error());
  c.normal_flows = static_cast<int64_t>(normal->size());
  c.normal_fpr_before = model::flagged_share(*normal, validation_threshold);
  c.normal_fpr_after = model::flagged_share(*normal, c.threshold);
  auto attack = score_files(**scorer, o.attack_data);
  if (!attack) return fail(attack.error());
  const auto& attacks = *attack;
  c.attack_flows = static_cast<int64_t>(attacks.size());
  c.attack_recall_before = model::flagged_share(attacks, validation_threshold);
  c.attack_recall_after = model::flagged_share(attacks, c.threshold);

  meta.threshold = c.threshold;
  meta.threshold_rule = fmt::format(
      "site calibration on {} flows of {}: at most {:.2f} % of known-good traffic flagged", c.flows,
      c.data.name, 100 * c.target_rate);
  meta.calibration = c;
  const std::string out = o.out.empty() ? o.model : o.out;
  if (auto st = copy_artifact(o.model, out); !st) return fail(st.error());
  if (auto st = model::save_meta(out, meta); !st) return fail(st.error());

  std::cout << fmt::format(
      "calibrated {} for site \"{}\" on {} flows of {}\n"
      "  before: threshold {:.6f}, {:.2f} % of the known-good flows flagged\n"
      "  after:  threshold {:.6f}, {:.2f} % flagged (target {:.2f} %)\n",
      out, c.site, c.flows, c.data.name, c.validation_threshold, 100 * c.rate_before, c.threshold,
      100 * c.rate_after, 100 * c.target_rate);
  if (c.normal_flows > 0) {
    std::cout << fmt::format(
        "  held-out known-good traffic ({} flows) flagged: {:.2f} % before, {:.2f} % after\n",
        c.normal_flows, 100 * c.normal_fpr_before, 100 * c.normal_fpr_after);
  }
  if (c.attack_flows > 0) {
    std::cout << fmt::format(
        "  attack traffic ({} flows) flagged: {:.2f} % before, {:.2f} % after\n", c.attack_flows,
        100 * c.attack_recall_before, 100 * c.attack_recall_after);
  }
  if (o.confidence > 0) {
    std::cout << fmt::format("  upper bound of the rate at {:.0f} % confidence: {:.2f} %\n",
                             100 * o.confidence, 100 * choice->rate_bound);
  }
  if (choice->flows_needed > 0) {
    std::cout << fmt::format(
        "  warning: {} flows cannot show a rate of {:.2f} % at {:.0f} % confidence; the threshold "
        "sits above every sample flow; calibrate on at least {} flows\n",
        c.flows, 100 * o.target_rate, 100 * o.confidence, choice->flows_needed);
  }
  if (choice->saturated) {
    std::cout << "  warning: flows scored exactly 1 stay flagged; the target rate cannot be met "
                 "by a threshold on this model\n";
  }
  return kExitOk;
}

}  // namespace

Command add_calibrate_command(CLI::App& root) {
  auto* app = root.add_subcommand(
      "calibrate", "Set a model's threshold from a sample of the site's known-good traffic");
  auto opts = std::make_shared<CalibrateOpts>();
  app->add_option("--model", opts->model, "Artifact directory")->capture_default_str();
  app->add_option("--data", opts->data,
                  "Known-good traffic of the site: a pcap/pcapng capture, or a flow file "
                  "(CSV with a header, JSON lines)")
      ->required();
  app->add_option("--out", opts->out,
                  "Write the calibrated model here (a copy); default: update --model in place");
  app->add_option("--target-rate", opts->target_rate,
                  "Share of the known-good flows that may still be flagged")
      ->check(CLI::Range(0.0, 0.5))
      ->capture_default_str();
  app->add_option("--confidence", opts->confidence,
                  "The target holds for the rate's upper confidence bound at this level, not "
                  "only on the sample (0: the sample's share)")
      ->check(CLI::Range(0.0, 0.999))
      ->capture_default_str();
  app->add_option("--site", opts->site, "A name for the site (default: the data file's name)");
  app->add_option("--normal-data", opts->normal_data,
                  "Held-out known-good traffic (repeatable, not used to set the threshold): its "
                  "flagged share (false-positive rate) is reported before and after, and "
                  "recorded with the model");
  app->add_option("--attack-data", opts->attack_data,
                  "Known attack traffic (repeatable): its flagged share is reported before and "
                  "after, and recorded with the model");
  app->add_option("--threads", opts->threads, "Scoring threads")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app->footer(
      "The threshold never drops below the model's validation threshold; calibrating again\n"
      "starts from that threshold, not from the last calibration. On packet and collector\n"
      "sources, per-flow anomaly alerts stay off until the model is calibrated (detect.\n"
      "anomaly_alerts); behaviour detectors alert either way.");
  return {app, [opts] { return run_calibrate(*opts); }};
}

}  // namespace flowsentry::cli
