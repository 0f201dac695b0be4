// `flowsentry detect`: offline forensics over one capture or flow file. The file is metered
// (captures), scored, and fed to the live pipeline's DetectionStage (behaviour detectors and
// bursts; no drift); alerts go through a Dispatcher without notifiers whose clock is the
// file's event time, so cooldown and de-duplication behave as they would live.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>

#include <fmt/format.h>

#include "cli/commands.h"
#include "detect/options.h"
#include "flow/reader.h"
#include "model/scorer.h"
#include "pipeline/detection.h"

namespace flowsentry::cli {
namespace {

struct DetectOpts {
  std::string data;
  std::string model = "models/default";
  std::string format = "json";
  std::string min_severity = "info";
  std::string anomaly_alerts;  // empty: the detect.anomaly_alerts setting
  std::string config;
  std::vector<std::string> set;
  size_t batch = 4096;
};

int severity_rank(const std::string& s) {
  return s == "critical" ? 2 : s == "warning" ? 1 : 0;
}

// The alert as one JSON line: every field a forensic reader wants at the top level.
nlohmann::json alert_line(const detect::Alert& a) {
  nlohmann::json j = a.to_json();
  if (!j.contains("first_time")) j["first_time"] = a.time;
  if (!j.contains("last_time")) j["last_time"] = a.time;
  if (!j.contains("hosts")) j["hosts"] = {{"src", nullptr}, {"dst", nullptr}};
  if (!j.contains("evidence")) {
    auto ev = a.payload.is_object() ? a.payload : nlohmann::json::object();
    j["evidence"] = ev;
  }
  return j;
}

std::string alert_text(const detect::Alert& a) {
  return fmt::format("{} {:<8} {:<17} {}: {}", detect::iso8601(a.time),
                     detect::severity_name(a.severity), a.kind_or_type(), a.context, a.summary);
}

class Printer {
 public:
  Printer(const DetectOpts& o) : json_(o.format == "json"), min_(severity_rank(o.min_severity)) {}
  void print(const detect::Alert& a) {
    if (severity_rank(detect::severity_name(a.severity)) < min_) return;
    ++by_kind_[a.kind_or_type()];
    ++printed_;
    const std::string line = json_ ? alert_line(a).dump() : alert_text(a);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
  }
  uint64_t printed() const { return printed_; }
  std::string summary() const {
    std::string out;
    for (const auto& [k, n] : by_kind_)
      out += fmt::format("{}{} {}", out.empty() ? "" : ", ", k, n);
    return out.empty() ? "none" : out;
  }

 private:
  bool json_;
  int min_;
  uint64_t printed_ = 0;
  std::map<std::string, uint64_t> by_kind_;
};

int run_detect(const DetectOpts& o) {
  auto config = load_config(o.config, o.set);
  if (!config) return kExitUsage;
  auto scorer = model::Scorer::load(o.model);
  if (!scorer) {
    std::cerr << "flowsentry detect: " << scorer.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto reader = flow::open_flow_file(o.data);
  if (!reader) {
    std::cerr << "flowsentry detect: " << reader.error().to_string() << "\n";
    return kExitRuntime;
  }
  double event_now = 0;  // the file's clock: cooldowns run in event time
  auto dispatch = detect::dispatcher_options(*config);
  detect::Dispatcher dispatcher(dispatch, {}, nullptr, [&event_now] { return event_now; });
  Printer printer(o);
  dispatcher.log().on_alert([&printer](const detect::AlertRecord& r) {
    if (r.disposition == "queued") printer.print(r.alert);
  });
  if (!o.anomaly_alerts.empty()) {
    if (auto st = config->set("detect.anomaly_alerts", o.anomaly_alerts); !st.ok()) {
      std::cerr << "flowsentry detect: " << st.error().to_string() << "\n";
      return kExitUsage;
    }
  }
  auto options = pipeline::detection_options(*config);
  options.drift = false;
  // As live: model anomalies alert on metered traffic only once the model is calibrated.
  options.model_calibrated = (*scorer)->meta().calibration.has_value();
  pipeline::DetectionStage stage(options, detect::MixReference{}, dispatcher, nullptr);

  auto& r = **reader;
  std::vector<flow::FlowRecord> rows(o.batch);
  std::vector<model::Verdict> verdicts;
  std::vector<model::ScoredFlow> scored;
  size_t filled = 0;
  uint64_t flows = 0, invalid = 0;
  auto last_progress = std::chrono::steady_clock::now();
  auto flush = [&]() -> bool {
    if (filled == 0) return true;
    std::span<const flow::FlowRecord> batch(rows.data(), filled);
    if (auto st = (*scorer)->score(batch, verdicts, {}); !st) {
      std::cerr << "flowsentry detect: " << st.error().to_string() << "\n";
      return false;
    }
    scored.resize(filled);
    for (size_t i = 0; i < filled; ++i) {
      scored[i].flow = std::move(rows[i]);
      scored[i].verdict = std::move(verdicts[i]);
      if (scored[i].flow.stime) event_now = std::max(event_now, *scored[i].flow.stime);
    }
    stage.observe(scored);
    flows += filled;
    filled = 0;
    if (std::chrono::steady_clock::now() - last_progress > std::chrono::seconds(2)) {
      last_progress = std::chrono::steady_clock::now();
      std::cerr << fmt::format("flowsentry detect: {} flows, {} alerts so far\n", flows,
                               printer.printed());
    }
    return true;
  };
  flow::FieldProblem problem;
  bool ok = true;
  while (ok) {
    auto n = r.next(rows[filled], problem);
    if (n == flow::FlowReader::Next::kEnd) break;
    if (n == flow::FlowReader::Next::kInvalid) {
      if (++invalid <= 10) {
        std::cerr << fmt::format("{}:{}: invalid ({}): {}\n", o.data, r.line(), problem.reason,
                                 problem.problem);
      }
      continue;
    }
    if (++filled == rows.size()) ok = flush();
  }
  if (ok) ok = flush();
  std::fflush(stdout);
  const std::string summary = fmt::format("{} flows, {} invalid rows skipped, {} alerts ({})",
                                          flows, invalid, printer.printed(), printer.summary());
  if (o.format == "text") std::printf("%s\n", summary.c_str());
  std::cerr << "flowsentry detect: " << summary << "\n";
  return ok ? kExitOk : kExitRuntime;
}

}  // namespace

Command add_detect_command(CLI::App& root) {
  auto* app = root.add_subcommand(
      "detect", "Offline forensics: meter, score and run every detector over a file, print alerts");
  auto opts = std::make_shared<DetectOpts>();
  app->add_option("--data", opts->data,
                  "Capture (pcap/pcapng) or flow file (CSV with a header, JSON lines)")
      ->required();
  app->add_option("--model", opts->model, "Artifact directory")->capture_default_str();
  app->add_option("--format", opts->format, "json: one alert per line; text: readable lines")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  app->add_option("--min-severity", opts->min_severity, "Print alerts at or above this severity")
      ->check(CLI::IsMember({"info", "warning", "critical"}))
      ->capture_default_str();
  app->add_option("--anomaly-alerts", opts->anomaly_alerts,
                  "Bursts of model anomalies (detect.anomaly_alerts): auto = on for UNSW-NB15 "
                  "rows, and for metered traffic once the model is calibrated (`calibrate`)")
      ->check(CLI::IsMember({"auto", "on", "off"}));
  app->add_option("--config", opts->config, "TOML settings file (behaviour.*, alert.*)");
  app->add_option("--set", opts->set, "Override a setting, KEY=VALUE (repeatable)");
  app->add_option("--batch", opts->batch, "Flows scored per batch")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  app->footer(
      "JSON lines carry kind, type, severity, summary, context, key, time, first_time,\n"
      "last_time, hosts {src, dst} and evidence (counts, ports, peers, example flows).\n"
      "Alerts with the same key within alert.cooldown_s of event time are printed once.\n"
      "Progress and the summary go to stderr; exit 0 when the file was read, alerts or not.");
  return {app, [opts] { return run_detect(*opts); }};
}

}  // namespace flowsentry::cli
