// The table of every setting flowsentry reads: name, type, default, bounds, one-line doc.
// TOML parsing, environment overrides, `flowsentry config --defaults` and the docs all come
// from this one table, so a new setting is one row in settings.cc.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace flowsentry {

// kTable: string keys to string values, for passthrough properties (`[kafka.properties]` in TOML,
// `--set kafka.properties.KEY=VALUE`, `key=value;key=value` as text).
enum class SettingType { kBool, kInt, kDouble, kString, kTable };

struct SettingSpec {
  std::string_view section;  // TOML table, e.g. "store"
  std::string_view key;      // key inside it, e.g. "retention_days"
  SettingType type;
  std::string_view default_value;  // as it would be written on the command line
  double min = 0;                  // bounds for numbers (inclusive); ignored when min > max
  double max = -1;
  std::string_view doc;      // one line
  std::string_view choices;  // for strings: allowed values separated by '|', empty = any
  bool secret = false;       // never printed or logged with its value

  std::string name() const;     // "section.key"
  std::string env_var() const;  // "FLOWSENTRY_SECTION_KEY"
  bool has_bounds() const { return min <= max; }
};

std::span<const SettingSpec> all_settings();
const SettingSpec* find_setting(std::string_view dotted_name);
const char* setting_type_name(SettingType type);

}  // namespace flowsentry
