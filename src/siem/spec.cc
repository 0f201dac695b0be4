#include "siem/spec.h"

#include <sstream>

#include <fmt/format.h>

namespace flowsentry::siem {
namespace {

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

bool has_control(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 32 || c == 127) return true;
  }
  return false;
}

Format default_format(const std::string& kind) {
  return kind == "syslog" ? Format::kCef : Format::kEcs;
}

Error bad(size_t n, const std::string& what) {
  return make_error(ErrorCode::kInvalidArgument, what, fmt::format("siem.outputs #{}", n));
}

Status apply(OutputSpec& spec, size_t n, const std::string& key, const std::string& value) {
  if (key == "filter") {
    if (value == "anomalies")
      spec.filter = Filter::kAnomalies;
    else if (value == "alerts")
      spec.filter = Filter::kAlerts;
    else if (value == "all")
      spec.filter = Filter::kAll;
    else
      return bad(n, "filter must be anomalies, alerts or all");
  } else if (key == "format") {
    if (value == "ecs")
      spec.format = Format::kEcs;
    else if (value == "ocsf")
      spec.format = Format::kOcsf;
    else if (value == "cef")
      spec.format = Format::kCef;
    else if (value == "json")
      spec.format = Format::kJson;
    else
      return bad(n, "format must be ecs, ocsf, cef or json");
  } else if (key == "name") {
    spec.name = value;
  } else if (key == "header") {
    const auto colon = value.find(':');
    if (colon == std::string::npos || colon == 0 || has_control(value)) {
      return bad(n, "header must be Name:value without control characters");
    }
    spec.headers.emplace_back(value.substr(0, colon), value.substr(colon + 1));
  } else {
    spec.params[key] = value;
  }
  return {};
}

Status check_format(const OutputSpec& s, size_t n) {
  const bool syslog = s.kind == "syslog";
  if (syslog && s.format != Format::kCef && s.format != Format::kJson) {
    return bad(n, "a syslog output's format is cef or json");
  }
  if (!syslog && s.format == Format::kCef) return bad(n, "format cef is for syslog outputs");
  if (s.format == Format::kOcsf && s.filter != Filter::kAlerts) {
    return bad(n, "OCSF findings are for alerts: use filter=alerts");
  }
  return {};
}

Result<OutputSpec> parse_one(const std::string& text, size_t n) {
  std::istringstream words(text);
  OutputSpec spec;
  if (!(words >> spec.kind >> spec.target)) return bad(n, "want KIND TARGET [key=value ...]");
  if (spec.kind != "file" && spec.kind != "kafka" && spec.kind != "syslog" &&
      spec.kind != "webhook") {
    return bad(n, "kind '" + spec.kind + "' is not file, kafka, syslog or webhook");
  }
  spec.format = default_format(spec.kind);
  spec.name = fmt::format("{}-{}", spec.kind, n);
  for (std::string word; words >> word;) {
    const auto eq = word.find('=');
    if (eq == std::string::npos || eq == 0) return bad(n, "options are key=value");
    if (auto s = apply(spec, n, word.substr(0, eq), word.substr(eq + 1)); !s.ok()) return s.error();
  }
  if (auto s = check_format(spec, n); !s.ok()) return s.error();
  return spec;
}

}  // namespace

Result<std::vector<OutputSpec>> parse_output_specs(std::string_view text) {
  std::vector<OutputSpec> out;
  size_t n = 0;
  for (const auto& part : split(text, ';')) {
    if (part.find_first_not_of(" \t\r\n") == std::string::npos) continue;
    auto spec = parse_one(part, ++n);
    if (!spec.ok()) return spec.error();
    out.push_back(std::move(spec.value()));
  }
  return out;
}

}  // namespace flowsentry::siem
