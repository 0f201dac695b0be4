#include "flow/validate.h"

#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "flow/address.h"

namespace flowsentry::flow {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

FieldProblem problem(std::string_view field, std::string text, const char* reason) {
  return FieldProblem{std::string(field), std::move(text), reason};
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<FieldProblem> check_num(NumField field, double value) {
  const auto& spec = kNumFields[field];
  if (!std::isfinite(value)) {
    return problem(spec.name, fmt::format("value {} is not finite", value), "non_finite");
  }
  if (value < 0) {
    return problem(spec.name, fmt::format("value {} is negative", value), "negative");
  }
  if (spec.kind != ValueKind::kReal && value != std::floor(value)) {
    return problem(spec.name, fmt::format("value {} is not a whole number", value), "not_integer");
  }
  if (spec.kind == ValueKind::kTtl && value > 255) {
    return problem(spec.name, fmt::format("TTL {} is above 255", value), "out_of_range");
  }
  if (spec.kind == ValueKind::kFlag && value > 1) {
    return problem(spec.name, fmt::format("flag {} is not 0 or 1", value), "out_of_range");
  }
  if (value > spec.max) {
    return problem(spec.name, fmt::format("value {} is above the maximum {}", value, spec.max),
                   "out_of_range");
  }
  return std::nullopt;
}

std::optional<FieldProblem> check_time(std::string_view field, double value, double now) {
  if (!std::isfinite(value)) {
    return problem(field, fmt::format("time {} is not finite", value), "non_finite");
  }
  if (value < kMinEventTime || value > now + kMaxEventTimeAhead) {
    return problem(field,
                   fmt::format("time {} is outside 1990-01-01 .. one day from now "
                               "(epoch seconds)",
                               value),
                   "out_of_range");
  }
  return std::nullopt;
}

std::optional<FieldProblem> parse_num(NumField field, std::string_view text, double& out) {
  auto t = trim(text);
  if (!t.empty() && t.front() == '+') t.remove_prefix(1);
  const char* end = t.data() + t.size();
  // Most UNSW-NB15 values are integers: the integer parser is several times faster.
  int64_t whole = 0;
  auto [p, ec] = std::from_chars(t.data(), end, whole);
  if (ec == std::errc() && p == end && !t.empty()) {
    out = static_cast<double>(whole);
  } else {
    auto [q, ec2] = std::from_chars(t.data(), end, out);
    if (t.empty() || ec2 == std::errc::invalid_argument || q != end) {
      return problem(
          kNumFields[field].name,
          t.empty() ? std::string("value is empty") : fmt::format("'{}' is not a number", t),
          t.empty() ? "missing_value" : "bad_number");
    }
    if (ec2 == std::errc::result_out_of_range) out = HUGE_VAL;  // reported as non-finite below
  }
  return check_num(field, out);
}

std::optional<FieldProblem> set_category(std::string_view field, std::string_view text,
                                         std::string& out) {
  auto t = trim(text);
  for (char c : t) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return problem(field, "contains a control character", "bad_category");
    }
  }
  if (t.size() > 64) return problem(field, "is longer than 64 characters", "bad_category");
  if (t.empty()) {
    if (field == "proto") return problem(field, "value is empty", "missing_value");
    t = kNone;
  }
  out.assign(t);
  return std::nullopt;
}

std::optional<FieldProblem> set_label(std::string_view text, std::optional<int>& out) {
  auto t = trim(text);
  if (t == "0" || t == "1") {
    out = t[0] - '0';
    return std::nullopt;
  }
  if (t.empty()) {
    out.reset();
    return std::nullopt;
  }
  return problem("label", fmt::format("'{}' is not 0 or 1", t), "bad_label");
}

std::optional<FieldProblem> set_attack_cat(std::string_view text, std::optional<std::string>& out) {
  auto t = trim(text);
  if (t.empty()) {
    out.reset();
    return std::nullopt;
  }
  if (iequals(t, "Backdoors")) t = "Backdoor";
  for (auto cat : kAttackCategories) {
    if (iequals(t, cat)) {
      out = std::string(cat);
      return std::nullopt;
    }
  }
  return problem("attack_cat", fmt::format("'{}' is not a known attack category", t), "bad_label");
}

std::optional<int64_t> parse_port(std::string_view text) {
  text = trim(text);
  int base = 10;
  if (text.starts_with("0x") || text.starts_with("0X")) {
    text.remove_prefix(2);
    base = 16;
  }
  int64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || v < 0 || v > 65535) {
    return std::nullopt;
  }
  return v;
}

namespace {
std::string_view shown(std::string_view text) {
  return text.size() > 40 ? text.substr(0, 40) : text;
}
}  // namespace

std::optional<FieldProblem> set_address(std::string_view field, std::string_view text,
                                        std::optional<std::string>& out) {
  auto t = trim(text);
  if (t.empty() || t == kNone) {
    out.reset();
    return std::nullopt;
  }
  auto bytes = parse_address(t);
  if (!bytes) {
    return problem(field, fmt::format("'{}' is not an IPv4 or IPv6 address", shown(t)),
                   "bad_address");
  }
  out = format_address(*bytes);
  return std::nullopt;
}

std::optional<FieldProblem> set_port(std::string_view field, std::string_view text,
                                     std::optional<int64_t>& out) {
  auto t = trim(text);
  if (t.empty() || t == kNone) {
    out.reset();
    return std::nullopt;
  }
  out = parse_port(t);
  if (!out) {
    return problem(field, fmt::format("'{}' is not a port (0-65535)", shown(t)), "bad_port");
  }
  return std::nullopt;
}

std::optional<FieldProblem> check_port(std::string_view field, int64_t value) {
  if (value < 0 || value > 65535) {
    return problem(field, fmt::format("{} is not a port (0-65535)", value), "bad_port");
  }
  return std::nullopt;
}

}  // namespace flowsentry::flow
