#include "pipeline/model_reloader.h"

#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"

namespace flowsentry::pipeline {
namespace {

auto& log() {
  static auto logger = module_logger("model");
  return logger;
}

Counter& reloads(const char* result) {
  return MetricsRegistry::global().counter(
      "flowsentry_model_reloads_total",
      "Model changes picked up without a restart, by result (ok, failed: refused, old model "
      "kept)",
      {{"result", result}});
}

// 1 for the model in use, 0 for versions this process used before.
Gauge& model_info(const std::string& version) {
  return MetricsRegistry::global().gauge("flowsentry_model_info",
                                         "The model version in use (1) and those used before (0)",
                                         {{"version", version}});
}

std::string process_name() {
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  return fmt::format("{}:{}", host, ::getpid());
}

}  // namespace

ReloadOptions reload_options(const Config& config) {
  ReloadOptions o;
  o.registry = config.get_string("model.registry");
  o.path = config.get_string("model.path");
  o.interval_s = config.get_double("model.reload_interval_s");
  return o;
}

ModelReloader::ModelReloader(ReloadOptions options, model::ScorerHandle& models,
                             store::Store* store)
    : options_(std::move(options)), models_(models), store_(store) {}

ModelReloader::~ModelReloader() {
  stop();
}

Result<ModelReloader::Target> ModelReloader::active_target(
    const model::RegistryIndex* index) const {
  if (index && !index->active().empty()) {
    model::Registry r(options_.registry);
    return Target{r.version_dir(index->active()), index->active()};
  }
  return Target{options_.path, ""};
}

Status ModelReloader::load_initial() {
  std::lock_guard lock(check_mu_);
  std::optional<model::RegistryIndex> index;
  if (!options_.registry.empty()) {
    auto read = model::Registry(options_.registry).read();
    if (!read) return read.error();
    index = std::move(*read);
  }
  auto target = active_target(index ? &*index : nullptr);
  if (!target) return target.error();
  auto scorer = model::Scorer::load(target->dir, {.nthread = options_.nthread});
  if (!scorer) return scorer.error();
  models_.set(std::shared_ptr<const model::Scorer>(std::move(*scorer)));
  loaded_dir_ = target->dir;
  source_ = target->version.empty() ? "path" : "registry";
  if (index) {
    registry_active_ = index->active();
    swap_shadow(*index);
  }
  model_info(models_.get()->model_version()).set(1);
  log()->info("model {} loaded from {} ({}, threshold {:.4f})", models_.get()->model_version(),
              target->dir, source_, models_.get()->threshold());
  return {};
}

bool ModelReloader::check(const std::string& how) {
  std::lock_guard lock(check_mu_);
  std::optional<model::RegistryIndex> index;
  if (!options_.registry.empty()) {
    auto read = model::Registry(options_.registry).read();
    if (!read) {
      // A damaged index changes nothing: the model in use keeps serving.
      if (how != "poll") reloads("failed").inc();
      log()->warn("model registry not read ({}): keeping {}", read.error().to_string(),
                  models_.get() ? models_.get()->model_version() : "no model");
      return false;
    }
    index = std::move(*read);
  }
  const std::string active = index ? index->active() : "";
  bool changed = false;
  // Polls look for a new active version; a request (SIGHUP) also re-reads model.path.
  if (active != registry_active_ || how != "poll") {
    auto target = active_target(index ? &*index : nullptr);
    registry_active_ = active;  // a refused version is not retried until the next change
    if (target) changed = swap_active(*target, index ? &*index : nullptr, how);
  }
  if (index) swap_shadow(*index);
  return changed;
}

bool ModelReloader::swap_active(const Target& target, const model::RegistryIndex* index,
                                const std::string& how) {
  auto scorer = model::Scorer::load(target.dir, {.nthread = options_.nthread});
  const auto current = models_.get();
  const std::string from = current ? current->model_version() : "";
  if (!scorer) {
    reloads("failed").inc();
    log()->error("model {} refused ({}); {} keeps serving",
                 target.version.empty() ? target.dir : target.version, scorer.error().to_string(),
                 from.empty() ? "no model" : from);
    return false;
  }
  const std::string to = (*scorer)->model_version();
  if (to == from) return false;  // the same model (SIGHUP with nothing new)
  const double threshold = (*scorer)->threshold();
  models_.set(std::shared_ptr<const model::Scorer>(std::move(*scorer)));
  const double swapped_at = wall_seconds();  // requests and batches begun after it use `to`
  loaded_dir_ = target.dir;
  source_ = target.version.empty() ? "path" : "registry";
  reloads("ok").inc();
  if (!from.empty()) model_info(from).set(0);
  model_info(to).set(1);
  log()->info("model {} -> {} ({}, {}), threshold {:.4f}", from, to, source_, how, threshold);
  record_change(swapped_at, from, to, threshold, index, how);
  return true;
}

void ModelReloader::swap_shadow(const model::RegistryIndex& index) {
  if (index.shadow == registry_shadow_) return;
  registry_shadow_ = index.shadow;
  if (index.shadow.empty()) {
    models_.set_shadow(nullptr);
    log()->info("shadow model cleared");
    return;
  }
  auto dir = model::Registry(options_.registry).version_dir(index.shadow);
  auto scorer = model::Scorer::load(dir, {.nthread = options_.nthread});
  if (!scorer) {
    reloads("failed").inc();
    log()->error("shadow model {} refused: {}", index.shadow, scorer.error().to_string());
    return;
  }
  models_.set_shadow(std::shared_ptr<const model::Scorer>(std::move(*scorer)));
  log()->info("shadow model {} scores beside {}", index.shadow,
              models_.get() ? models_.get()->model_version() : "no model");
}

void ModelReloader::record_change(double time, const std::string& from, const std::string& to,
                                  double threshold, const model::RegistryIndex* index,
                                  const std::string& how) {
  if (!store_) return;
  nlohmann::json details{{"from", from},
                         {"to", to},
                         {"trigger", how},
                         {"process", process_name()},
                         {"source", source_}};
  // Who asked for it and how: the registry's latest change to this version.
  if (index) {
    for (auto it = index->history.rbegin(); it != index->history.rend(); ++it) {
      if (it->to != to || it->how == "shadow") continue;
      details["by"] = it->by;
      details["how"] = it->how;
      details["at"] = it->at;
      break;
    }
  }
  store::DriftEvent e;
  e.time = time;
  e.kind = "model_changed";
  e.measure = details.value("how", how);
  e.value = 1;
  e.threshold = threshold;
  e.details_json = details.dump();
  if (auto st = store_->record_drift(e); !st) {
    log()->warn("model_changed event not stored: {}", st.error().to_string());
  }
}

void ModelReloader::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { loop(); });
}

void ModelReloader::request() {
  {
    std::lock_guard lock(mu_);
    requested_ = true;
  }
  wake_.notify_all();
}

void ModelReloader::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void ModelReloader::loop() {
  const auto interval =
      std::chrono::duration<double>(options_.interval_s > 0 ? options_.interval_s : 24 * 3600.0);
  for (;;) {
    std::string how = "poll";
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, interval, [this] { return stopping_ || requested_; });
      if (stopping_) return;
      if (requested_) how = "sighup";
      requested_ = false;
    }
    if (how == "poll" && options_.interval_s <= 0) continue;
    check(how);
  }
}

}  // namespace flowsentry::pipeline
