// ModelReloader: keeps a ScorerHandle on the model the registry says is active, without a
// restart. It polls the registry's index (model.reload_interval_s) and checks at once when asked
// (SIGHUP). A model that fails to load is refused — logged, counted, the old one keeps serving.
// Each change is stored as a drift event of kind "model_changed" (from, to, who, how), which the
// dashboard draws on its timeline. Without a registry (model.registry empty or no active
// version) the model is model.path, re-read on request.
#pragma once

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "common/config.h"
#include "common/result.h"
#include "model/registry.h"
#include "model/scorer_handle.h"
#include "store/store.h"

namespace flowsentry::pipeline {

struct ReloadOptions {
  std::string registry;   // registry folder; empty = none
  std::string path;       // the artifact used when the registry has no active version
  double interval_s = 5;  // registry polls; 0 = only on request
  int nthread = 2;        // ScorerOptions::nthread of loaded models
};

ReloadOptions reload_options(const Config& config);

class ModelReloader {
 public:
  ModelReloader(ReloadOptions options, model::ScorerHandle& models, store::Store* store);
  ~ModelReloader();
  ModelReloader(const ModelReloader&) = delete;
  ModelReloader& operator=(const ModelReloader&) = delete;

  // Loads the first model (the registry's active version, else options.path) and its shadow.
  Status load_initial();
  // Loads what changed in the registry (or, without one, model.path when `how` is a request).
  // `how` is recorded with the change: "poll" or "sighup". Returns true when a model changed.
  bool check(const std::string& how);
  // Where model_changed events go (before start()); null: not recorded.
  void set_store(store::Store* store) { store_ = store; }
  // Polls on a thread until stop(); request() makes it check now.
  void start();
  void request();
  void stop();

  // Where the active model came from: "registry" or "path".
  const std::string& source() const { return source_; }

 private:
  struct Target {
    std::string dir;
    std::string version;  // registry version; empty for model.path
  };
  Result<Target> active_target(const model::RegistryIndex* index) const;
  bool swap_active(const Target& target, const model::RegistryIndex* index, const std::string& how);
  void swap_shadow(const model::RegistryIndex& index);
  void record_change(double time, const std::string& from, const std::string& to, double threshold,
                     const model::RegistryIndex* index, const std::string& how);
  void loop();

  ReloadOptions options_;
  model::ScorerHandle& models_;
  store::Store* store_;
  std::string source_ = "path";
  std::string loaded_dir_;                         // the directory the active model came from
  std::string registry_active_, registry_shadow_;  // as last seen in the index

  std::mutex mu_;  // guards the flags below; check() itself runs on one thread at a time
  std::mutex check_mu_;
  std::condition_variable wake_;
  bool requested_ = false, stopping_ = false;
  std::thread thread_;
};

}  // namespace flowsentry::pipeline
