// Registry: a folder of registered model artifacts and which one is active. Workers and `serve`
// poll its active pointer and load a newly promoted model without a restart.
//
//   DIR/index.json          versions, the activation stack (active last), shadow, history
//   DIR/versions/VERSION/   a copy of the artifact (VERSION is its meta.json model_version)
//   DIR/.lock               flock()ed for every change: concurrent CLI calls queue up
//
// index.json is replaced whole (written to a temporary file, synced, renamed), so a reader never
// sees half of it and a crash leaves the old one.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace flowsentry::model {

inline constexpr int kRegistrySchema = 1;

struct RegistryEntry {
  std::string version;        // the artifact's model_version
  std::string parent;         // the version active when it was registered (or --parent)
  std::string profile;        // feature profile
  std::string data_sha256;    // of the training data
  std::string created;        // when the artifact was trained (meta.json)
  std::string registered;     // when it was registered, UTC ISO 8601
  std::string registered_by;  // user
  std::string source;         // the directory it was copied from
  nlohmann::json metrics = nlohmann::json::object();  // metrics.json without the curves
};

// One change of the active model (or of the shadow).
struct Activation {
  std::string from, to;
  std::string at;   // UTC ISO 8601
  std::string by;   // user
  std::string how;  // "promote", "rollback", "shadow"
};

struct RegistryIndex {
  int schema = kRegistrySchema;
  std::vector<RegistryEntry> versions;  // oldest first
  std::vector<std::string> stack;       // promoted versions, the active one last
  std::string shadow;                   // empty: none
  std::vector<Activation> history;

  std::string active() const { return stack.empty() ? std::string() : stack.back(); }
  const RegistryEntry* find(const std::string& version) const;
  nlohmann::json to_json() const;
  static Result<RegistryIndex> from_json(const nlohmann::json& j);
};

class Registry {
 public:
  explicit Registry(std::string dir) : dir_(std::move(dir)) {}
  const std::string& dir() const { return dir_; }

  // The index; an empty one when the registry does not exist yet. kCorrupt names the file.
  Result<RegistryIndex> read() const;
  // Checks (loads) the artifact, copies it in and records it. Registering a version twice is
  // an error (kConflict). `parent` empty: the active version.
  Result<RegistryEntry> add(const std::string& artifact_dir, const std::string& parent,
                            const std::string& by);
  // `version` may be a unique prefix.
  Result<Activation> promote(const std::string& version, const std::string& by);
  // Back to the version active before the current one (kNotFound when there is none).
  Result<Activation> rollback(const std::string& by);
  // Empty `version` clears the shadow.
  Result<Activation> set_shadow(const std::string& version, const std::string& by);

  std::string version_dir(const std::string& version) const;
  // The full version a unique prefix names.
  Result<std::string> resolve(const RegistryIndex& index, const std::string& version) const;

 private:
  // Under the lock: reads the index, lets `change` edit it, writes it back.
  Status update(const std::function<Status(RegistryIndex&)>& change);
  Status write(const RegistryIndex& index) const;
  std::string index_path() const;

  std::string dir_;
};

// The user running this process ($USER, else the uid).
std::string current_user();

}  // namespace flowsentry::model
