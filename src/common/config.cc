#include "common/config.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <toml++/toml.h>

namespace flowsentry {
namespace {

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diag = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::string unknown_key_message(std::string_view name) {
  std::string msg = fmt::format("unknown setting '{}'", name);
  auto hint = suggest_setting(name);
  if (!hint.empty()) msg += fmt::format(" (did you mean '{}'?)", hint);
  return msg;
}

// "key=value;key=value" (empty parts skipped); keys and values are taken verbatim.
Result<Config::Table> parse_table(const SettingSpec& spec, std::string_view text) {
  Config::Table table;
  while (!text.empty()) {
    auto semi = text.find(';');
    auto part = text.substr(0, semi);
    text = semi == std::string_view::npos ? std::string_view{} : text.substr(semi + 1);
    if (part.empty()) continue;
    auto eq = part.find('=');
    if (eq == 0 || eq == std::string_view::npos) {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("'{}' is not key=value (pairs are separated by ';')", part.substr(0, eq)),
          spec.name());
    }
    table[std::string(part.substr(0, eq))] = std::string(part.substr(eq + 1));
  }
  return table;
}

// A TOML table's leaves as dotted keys: `fetch.max.bytes = 1` parses as nested tables.
Status flatten_toml(const SettingSpec& spec, const toml::table& table, const std::string& prefix,
                    Config::Table& out) {
  for (const auto& [key, node] : table) {
    std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* sub = node.as_table()) {
      if (auto st = flatten_toml(spec, *sub, name, out); !st.ok()) return st;
    } else if (auto s = node.value_exact<std::string>()) {
      out[name] = *s;
    } else if (auto b = node.value_exact<bool>()) {
      out[name] = *b ? "true" : "false";
    } else if (auto i = node.value_exact<int64_t>()) {
      out[name] = std::to_string(*i);
    } else if (auto d = node.value_exact<double>()) {
      out[name] = fmt::format("{}", *d);
    } else {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("{}: expected a string, number or bool", name), spec.name());
    }
  }
  return {};
}

Result<Config::Value> parse_text(const SettingSpec& spec, std::string_view text) {
  auto bad = [&](std::string_view want) -> Error {
    return make_error(ErrorCode::kInvalidArgument, fmt::format("'{}' is not {}", text, want),
                      spec.name());
  };
  switch (spec.type) {
    case SettingType::kBool:
      if (text == "true" || text == "1" || text == "yes" || text == "on")
        return Config::Value{true};
      if (text == "false" || text == "0" || text == "no" || text == "off") {
        return Config::Value{false};
      }
      return bad("true or false");
    case SettingType::kInt: {
      int64_t v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size()) return bad("an integer");
      return Config::Value{v};
    }
    case SettingType::kDouble: {
      double v = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v)) {
        return bad("a number");
      }
      return Config::Value{v};
    }
    case SettingType::kString:
    case SettingType::kTable:  // parsed by parse_table
      return Config::Value{std::string(text)};
  }
  return bad("valid");
}

Result<Config::Value> from_toml(const SettingSpec& spec, const toml::node& node) {
  auto bad = [&]() -> Error {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("expected a {} value", setting_type_name(spec.type)),
                      spec.name());
  };
  switch (spec.type) {
    case SettingType::kBool:
      if (auto v = node.value_exact<bool>()) return Config::Value{*v};
      return bad();
    case SettingType::kInt:
      if (auto v = node.value_exact<int64_t>()) return Config::Value{*v};
      return bad();
    case SettingType::kDouble:
      if (node.is_integer() || node.is_floating_point())
        return Config::Value{*node.value<double>()};
      return bad();
    case SettingType::kString:
      if (auto v = node.value_exact<std::string>()) return Config::Value{*v};
      return bad();
    case SettingType::kTable:  // read by flatten_toml
      return bad();
  }
  return bad();
}

// The table setting that `name` ("kafka.properties.KEY") is a key of, and KEY.
std::pair<const SettingSpec*, std::string_view> table_key(std::string_view name) {
  for (const auto& s : all_settings()) {
    if (s.type != SettingType::kTable) continue;
    auto prefix = s.name() + ".";
    if (name.size() > prefix.size() && name.starts_with(prefix)) {
      return {&s, name.substr(prefix.size())};
    }
  }
  return {nullptr, {}};
}

std::string default_literal(const SettingSpec& s) {
  if (s.type == SettingType::kTable) return "{}";
  if (s.type == SettingType::kString) return fmt::format("\"{}\"", s.default_value);
  return std::string(s.default_value);
}

}  // namespace

Config::Config() {
  for (const auto& spec : all_settings()) {
    auto v = parse_text(spec, spec.default_value);
    if (!v.ok()) throw std::logic_error("bad default for " + spec.name());  // programming error
    entries_.emplace(spec.name(), Entry{&spec, std::move(v.value()), "default"});
    if (spec.type == SettingType::kTable) tables_[spec.name()];
  }
}

void Config::merge_table(const SettingSpec& spec, Table table, std::string_view origin) {
  auto& into = tables_[spec.name()];
  for (auto& [k, v] : table) into[k] = std::move(v);
  entries_.find(spec.name())->second.origin = std::string(origin);
}

Status Config::assign(const SettingSpec& spec, Value value, std::string_view origin) {
  if (spec.has_bounds() && (spec.type == SettingType::kInt || spec.type == SettingType::kDouble)) {
    double v = spec.type == SettingType::kInt ? static_cast<double>(std::get<int64_t>(value))
                                              : std::get<double>(value);
    if (v < spec.min || v > spec.max) {
      return make_error(
          ErrorCode::kInvalidArgument,
          fmt::format("{} is out of bounds [{}, {}] (from {})", v, spec.min, spec.max, origin),
          spec.name());
    }
  }
  if (spec.type == SettingType::kString && !spec.choices.empty()) {
    const auto& s = std::get<std::string>(value);
    bool found = false;
    std::string_view rest = spec.choices;
    while (!rest.empty() && !found) {
      auto bar = rest.find('|');
      found = rest.substr(0, bar) == s;
      rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    }
    if (!found) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("'{}' is not one of {} (from {})", s, spec.choices, origin),
                        spec.name());
    }
  }
  auto& e = entries_.find(spec.name())->second;
  e.value = std::move(value);
  e.origin = std::string(origin);
  return {};
}

Status Config::set(std::string_view name, std::string_view text, std::string_view origin) {
  const auto* spec = find_setting(name);
  if (!spec) {
    auto [table, key] = table_key(name);
    if (!table) return make_error(ErrorCode::kInvalidArgument, unknown_key_message(name));
    merge_table(*table, Table{{std::string(key), std::string(text)}}, origin);
    return {};
  }
  if (spec->type == SettingType::kTable) {
    auto t = parse_table(*spec, text);
    if (!t.ok()) return t.error();
    merge_table(*spec, std::move(t.value()), origin);
    return {};
  }
  auto v = parse_text(*spec, text);
  if (!v.ok()) return v.error();
  return assign(*spec, std::move(v.value()), origin);
}

Status Config::merge_toml_text(std::string_view text, std::string_view origin) {
  toml::table doc;
  try {
    doc = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    return make_error(ErrorCode::kParse, std::string(e.description()),
                      fmt::format("{}:{}:{}", origin, src.begin.line, src.begin.column));
  }
  for (const auto& [section, node] : doc) {
    const auto* table = node.as_table();
    if (!table) {
      return make_error(
          ErrorCode::kInvalidArgument,
          unknown_key_message(section.str()) + " (settings live in tables such as [store])",
          std::string(origin));
    }
    for (const auto& [key, value] : *table) {
      std::string name = fmt::format("{}.{}", section.str(), key.str());
      const auto* spec = find_setting(name);
      if (!spec) {
        return make_error(ErrorCode::kInvalidArgument, unknown_key_message(name),
                          fmt::format("{}:{}", origin, value.source().begin.line));
      }
      if (spec->type == SettingType::kTable) {
        Table t;
        Status st = value.as_table()
                        ? flatten_toml(*spec, *value.as_table(), "", t)
                        : make_error(ErrorCode::kInvalidArgument, "expected a table", spec->name());
        if (!st.ok()) {
          return make_error(ErrorCode::kInvalidArgument, st.error().to_string(),
                            fmt::format("{}:{}", origin, value.source().begin.line));
        }
        merge_table(*spec, std::move(t), origin);
        continue;
      }
      auto v = from_toml(*spec, value);
      if (!v.ok()) {
        return make_error(ErrorCode::kInvalidArgument, v.error().to_string(),
                          fmt::format("{}:{}", origin, value.source().begin.line));
      }
      if (auto st = assign(*spec, std::move(v.value()), origin); !st.ok()) return st;
    }
  }
  return {};
}

Status Config::merge_toml_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorCode::kNotFound, "cannot open config file", path);
  std::stringstream buf;
  buf << in.rdbuf();
  return merge_toml_text(buf.str(), path);
}

Status Config::merge_env(const EnvLookup& lookup) {
  for (const auto& spec : all_settings()) {
    auto var = spec.env_var();
    const char* text = lookup(var.c_str());
    if (!text) continue;
    if (auto st = set(spec.name(), text, "env " + var); !st.ok()) return st;
  }
  return {};
}

const Config::Entry& Config::entry(std::string_view name) const {
  auto it = entries_.find(name);
  if (it == entries_.end()) throw std::logic_error("no setting " + std::string(name));
  return it->second;
}

bool Config::get_bool(std::string_view name) const {
  return std::get<bool>(entry(name).value);
}
int64_t Config::get_int(std::string_view name) const {
  return std::get<int64_t>(entry(name).value);
}
double Config::get_double(std::string_view name) const {
  return std::get<double>(entry(name).value);
}
const std::string& Config::get_string(std::string_view name) const {
  return std::get<std::string>(entry(name).value);
}
const Config::Table& Config::get_table(std::string_view name) const {
  auto it = tables_.find(name);
  if (it == tables_.end()) throw std::logic_error("no table setting " + std::string(name));
  return it->second;
}
const std::string& Config::origin(std::string_view name) const {
  return entry(name).origin;
}

std::string render_default_toml() {
  std::string out =
      "# flowsentry configuration: every setting with its default.\n"
      "# Precedence: defaults < this file < FLOWSENTRY_<SECTION>_<KEY> < command-line flags.\n";
  std::string_view section;
  for (const auto& s : all_settings()) {
    if (s.section != section) {
      section = s.section;
      out += fmt::format("\n[{}]\n", section);
    }
    out += fmt::format("# {} ({}", s.doc, setting_type_name(s.type));
    if (s.has_bounds()) out += fmt::format(", {} to {}", s.min, s.max);
    if (!s.choices.empty()) out += fmt::format(", one of {}", s.choices);
    out += fmt::format("; env {}", s.env_var());
    if (s.secret) out += "; secret, prefer the environment";
    out += ")\n";
    out += fmt::format("{} = {}\n", s.key, default_literal(s));
  }
  return out;
}

std::string suggest_setting(std::string_view name) {
  std::string best;
  size_t best_d = std::max<size_t>(3, name.size() / 3) + 1;
  for (const auto& s : all_settings()) {
    auto full = s.name();
    size_t d = std::min(edit_distance(name, full), edit_distance(name, s.key) + 1);
    if (d < best_d) {
      best_d = d;
      best = full;
    }
  }
  return best;
}

}  // namespace flowsentry
