// Service: the long-running parts a command asks for, built from the settings — the scorer,
// the store, alert delivery, the detection stage and the HTTP server. Commands (demo, serve,
// run) pick the parts they need and wire a pipeline between them.
#pragma once

#include <memory>
#include <string>

#include "api/server.h"
#include "common/config.h"
#include "detect/dispatcher.h"
#include "model/scorer.h"
#include "model/scorer_handle.h"
#include "pipeline/detection.h"
#include "pipeline/kafka_worker.h"
#include "pipeline/model_reloader.h"
#include "pipeline/pipeline.h"
#include "siem/outputs.h"
#include "store/maintenance.h"
#include "store/store.h"
#include "stream/source.h"

namespace flowsentry::cli {

class Service {
 public:
  explicit Service(const Config& config) : config_(config) {}
  ~Service();

  // A fixed model from `dir` (demo, and commands that do not reload).
  Status load_model(const std::string& dir);
  // The model the settings name (model.registry's active version, else model.path), kept up to
  // date: start_reloading() polls the registry and reload_model() checks at once (SIGHUP).
  Status load_models();
  void start_reloading();
  void reload_model();
  Status open_store(const std::string& url);
  // Dispatcher from the alert settings (log notifier always on), the detection stage, and the
  // SIEM outputs of siem.outputs (every alert the dispatcher does not cool down goes to them).
  // `scope`: which behaviour tables run here (kTargetKeyed on an alerter fed flow summaries,
  // which then runs them without drift).
  Status start_detection(bool bursts = true, bool drift = true,
                         detect::BehaviourScope scope = detect::BehaviourScope::kAll);
  // Hands scored batches to the SIEM outputs (never blocks); empty when none are configured.
  // `normal_only`: anomalies are forwarded elsewhere (a `run` worker's, by the alerter).
  pipeline::Pipeline::Observer siem_observer(bool normal_only = false);
  // Serves the API on `port` (the api.* settings give host, token, limits).
  Status start_api(int port, std::function<nlohmann::json()> pipeline_status = {});

  // The model in use now (it may change at any time when reloading).
  std::shared_ptr<const model::Scorer> scorer() const { return models_.get(); }
  model::ScorerHandle& models() { return models_; }
  store::Store* store() { return store_.get(); }
  pipeline::DetectionStage* detection() { return detection_.get(); }
  detect::Dispatcher* dispatcher() { return dispatcher_.get(); }
  int api_port() const { return api_ ? api_->port() : 0; }
  // "https" with api.tls_cert and api.tls_key, else "http".
  std::string api_scheme() const { return api_ ? api_->scheme() : "http"; }
  void stop_api();

 private:
  const Config& config_;
  model::ScorerHandle models_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<pipeline::ModelReloader> reloader_;  // after store_: stops first
  std::unique_ptr<store::Maintenance> maintenance_;    // declared after store_: stops first
  std::unique_ptr<siem::Outputs> siem_;  // before dispatcher_: its alert hook outlives nothing
  std::unique_ptr<detect::Dispatcher> dispatcher_;
  std::unique_ptr<pipeline::DetectionStage> detection_;
  std::unique_ptr<api::ApiServer> api_;
};

// Opens a flow source named on the command line (the one source grammar): "generator:SCENARIO
// [:SEED]", "iface:NAME" (live capture; needs root or CAP_NET_RAW) or a file path (CSV, JSON
// lines, pcap/pcapng, Zeek conn.log TSV or JSON, recognised by content).
// `eps` limits the rate (0 = as fast as possible); `loop` replays a file forever; `follow`
// reads a growing Zeek conn.log as it grows, surviving rotation (never ends).
Result<std::unique_ptr<stream::Source>> open_source(const std::string& data, double eps, bool loop,
                                                    bool follow = false);

// Prints a one-line status every `every` while the pipeline runs (to stderr).
std::string progress_line(const pipeline::PipelineStats& s, double seconds);

}  // namespace flowsentry::cli
