// Config: the values of the settings in settings.cc, layered in order of precedence
// defaults < TOML file < environment (FLOWSENTRY_<SECTION>_<KEY>) < command-line flags.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "common/settings.h"

namespace flowsentry {

class Config {
 public:
  using Value = std::variant<bool, int64_t, double, std::string>;
  using Table = std::map<std::string, std::string, std::less<>>;
  // Reads an environment variable; empty optional-like "" return means unset.
  using EnvLookup = std::function<const char*(const char*)>;

  // Every setting at its default.
  Config();

  // Applies a TOML document. Unknown tables/keys and out-of-bounds values are errors
  // naming the key (with the closest known key as a suggestion).
  Status merge_toml_file(const std::string& path);
  Status merge_toml_text(std::string_view text, std::string_view origin);
  // Applies FLOWSENTRY_<SECTION>_<KEY> variables that are set.
  Status merge_env(const EnvLookup& lookup);
  // Sets one value from its text form, as a flag would ("store.retention_days", "14"). A table
  // setting takes "key=value;key=value", or one key as "kafka.properties.KEY"; either way the
  // keys are added to the table, replacing earlier values of the same keys.
  Status set(std::string_view name, std::string_view text, std::string_view origin = "flag");

  bool get_bool(std::string_view name) const;
  int64_t get_int(std::string_view name) const;
  double get_double(std::string_view name) const;
  const std::string& get_string(std::string_view name) const;
  const Table& get_table(std::string_view name) const;

  // Where the current value came from: "default", a file path, "env FLOWSENTRY_..", "flag".
  const std::string& origin(std::string_view name) const;

 private:
  struct Entry {
    const SettingSpec* spec;
    Value value;
    std::string origin;
  };
  const Entry& entry(std::string_view name) const;
  Status assign(const SettingSpec& spec, Value value, std::string_view origin);
  // Tables are merged key by key: each layer adds keys or replaces their values.
  void merge_table(const SettingSpec& spec, Table table, std::string_view origin);

  std::map<std::string, Entry, std::less<>> entries_;  // a table's value is unused
  std::map<std::string, Table, std::less<>> tables_;
};

// A fully commented TOML file with every setting at its default.
std::string render_default_toml();

// The closest known setting name to `name` by edit distance, or "" if none is close.
std::string suggest_setting(std::string_view name);

}  // namespace flowsentry
