// flowsentry models: the model registry (model/registry.h). Register artifacts, list and show
// them, promote one (workers and `serve` pick it up without a restart), roll back, and choose a
// shadow model that scores beside the active one for comparison.
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "model/registry.h"

namespace flowsentry::cli {
namespace {

struct ModelsOpts {
  std::string registry;
  std::string config_file;
  std::string format = "text";
  std::string artifact, version, parent, by;
  bool promote = false;
  bool clear = false;
};

int fail(const Error& e) {
  std::cerr << "flowsentry models: " << e.to_string() << "\n";
  return e.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitRuntime;
}

std::optional<std::string> registry_dir(const ModelsOpts& o) {
  if (!o.registry.empty()) return o.registry;
  auto config = load_config(o.config_file);
  if (!config) return std::nullopt;
  auto dir = config->get_string("model.registry");
  if (dir.empty()) {
    std::cerr << "flowsentry models: model.registry is empty; pass --registry DIR\n";
    return std::nullopt;
  }
  return dir;
}

std::string metric(const nlohmann::json& metrics, const char* key) {
  for (const char* split : {"test", "validation"}) {
    if (metrics.contains(split) && metrics[split].contains(key) &&
        metrics[split][key].is_number()) {
      return fmt::format("{:.4f} ({})", metrics[split][key].get<double>(), split);
    }
  }
  return "-";
}

std::string role(const model::RegistryIndex& index, const std::string& version) {
  if (version == index.active()) return "active";
  if (version == index.shadow) return "shadow";
  return "";
}

nlohmann::json entry_json(const model::RegistryIndex& index, const model::RegistryEntry& e) {
  return {{"version", e.version},       {"role", role(index, e.version)},   {"parent", e.parent},
          {"profile", e.profile},       {"data_sha256", e.data_sha256},     {"created", e.created},
          {"registered", e.registered}, {"registered_by", e.registered_by}, {"source", e.source},
          {"metrics", e.metrics}};
}

int list(const model::Registry& r, const ModelsOpts& o) {
  auto index = r.read();
  if (!index) return fail(index.error());
  if (o.format == "json") {
    auto versions = nlohmann::json::array();
    for (const auto& e : index->versions) versions.push_back(entry_json(*index, e));
    std::cout << nlohmann::json{{"registry", r.dir()},
                                {"active", index->active()},
                                {"shadow", index->shadow},
                                {"versions", versions}}
                     .dump(2)
              << "\n";
    return kExitOk;
  }
  if (index->versions.empty()) {
    std::cout << "no models registered in " << r.dir()
              << " (flowsentry models register ARTIFACT_DIR)\n";
    return kExitOk;
  }
  std::cout << fmt::format("{:<20} {:<7} {:<9} {:<18} {:<21} {:<12} {}\n", "VERSION", "ROLE",
                           "PROFILE", "AUC", "REGISTERED", "BY", "PARENT");
  for (const auto& e : index->versions) {
    std::cout << fmt::format("{:<20} {:<7} {:<9} {:<18} {:<21} {:<12} {}\n", e.version,
                             role(*index, e.version), e.profile, metric(e.metrics, "auc"),
                             e.registered, e.registered_by, e.parent.empty() ? "-" : e.parent);
  }
  return kExitOk;
}

int show(const model::Registry& r, const ModelsOpts& o) {
  auto index = r.read();
  if (!index) return fail(index.error());
  auto v = r.resolve(*index, o.version);
  if (!v) return fail(v.error());
  auto j = entry_json(*index, *index->find(*v));
  j["path"] = r.version_dir(*v);
  auto history = nlohmann::json::array();
  for (const auto& a : index->history) {
    if (a.to != *v && a.from != *v) continue;
    history.push_back({{"from", a.from}, {"to", a.to}, {"at", a.at}, {"by", a.by}, {"how", a.how}});
  }
  j["history"] = history;
  std::cout << j.dump(2) << "\n";
  return kExitOk;
}

int print_change(const Result<model::Activation>& a) {
  if (!a) return fail(a.error());
  std::cout << fmt::format("{}: {} -> {} (by {}, {})\n", a->how, a->from.empty() ? "-" : a->from,
                           a->to.empty() ? "-" : a->to, a->by, a->at);
  return kExitOk;
}

int add(model::Registry& r, const ModelsOpts& o) {
  auto e = r.add(o.artifact, o.parent, o.by);
  if (!e) return fail(e.error());
  std::cout << fmt::format("registered {} (profile {}, parent {}) in {}\n", e->version, e->profile,
                           e->parent.empty() ? "-" : e->parent, r.dir());
  if (o.promote) return print_change(r.promote(e->version, o.by));
  return kExitOk;
}

}  // namespace

// Registers an artifact just written by `train --register` (declared in commands.h).
int register_artifact(const std::string& registry, const std::string& artifact_dir,
                      const std::string& parent) {
  ModelsOpts o;
  o.registry = registry;
  o.artifact = artifact_dir;
  o.parent = parent;
  o.by = model::current_user();
  auto dir = registry_dir(o);
  if (!dir) return kExitUsage;
  model::Registry r(*dir);
  return add(r, o);
}

Command add_models_command(CLI::App& root) {
  auto* app = root.add_subcommand(
      "models", "Model registry: register, list, show, promote, roll back, shadow");
  auto o = std::make_shared<ModelsOpts>();
  o->by = model::current_user();
  app->add_option("--registry", o->registry,
                  "Registry folder (default: the model.registry setting, models/registry)");
  app->add_option("--config", o->config_file, "TOML settings file")->check(CLI::ExistingFile);
  app->require_subcommand(1);
  auto* reg = app->add_subcommand(
      "register", "Copy an artifact into the registry with its metrics, profile and parent");
  reg->add_option("ARTIFACT_DIR", o->artifact, "Artifact directory (flowsentry train --out)")
      ->required();
  reg->add_option("--parent", o->parent, "The version it derives from (default: the active one)");
  reg->add_flag("--promote", o->promote, "Promote it once registered");
  auto* ls = app->add_subcommand("list", "Registered versions, the active and shadow ones");
  auto* sh = app->add_subcommand("show", "One version's metadata, metrics and history (JSON)");
  sh->add_option("VERSION", o->version, "Version (a unique prefix is enough)")->required();
  auto* pr = app->add_subcommand(
      "promote", "Make VERSION the active model; workers and serve switch without a restart");
  pr->add_option("VERSION", o->version, "Version (a unique prefix is enough)")->required();
  auto* rb = app->add_subcommand("rollback", "Back to the version active before this one");
  auto* sd = app->add_subcommand(
      "shadow", "Score VERSION beside the active model (never stored or alerted on)");
  sd->add_option("VERSION", o->version, "Version (a unique prefix is enough)");
  sd->add_flag("--clear", o->clear, "Stop shadow scoring");
  for (auto* sub : {reg, pr, rb, sd}) {
    sub->add_option("--by", o->by, "Who does it, recorded in the history (default: $USER)");
  }
  ls->add_option("--format", o->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  app->footer(
      "Workers (`run`) and `serve` poll the registry every model.reload_interval_s seconds "
      "(SIGHUP: at once);\na model that fails to load is refused and the old one keeps "
      "serving.");
  return {app, [o, reg, ls, sh, pr, rb, sd] {
            auto dir = registry_dir(*o);
            if (!dir) return kExitUsage;
            model::Registry r(*dir);
            if (reg->parsed()) return add(r, *o);
            if (ls->parsed()) return list(r, *o);
            if (sh->parsed()) return show(r, *o);
            if (pr->parsed()) return print_change(r.promote(o->version, o->by));
            if (rb->parsed()) return print_change(r.rollback(o->by));
            if (sd->parsed()) {
              if (o->clear == !o->version.empty()) {
                std::cerr << "flowsentry models shadow: give VERSION or --clear\n";
                return kExitUsage;
              }
              return print_change(r.set_shadow(o->version, o->by));
            }
            return kExitUsage;
          }};
}

}  // namespace flowsentry::cli
