#include "flow/zeek_log.h"

#include <charconv>
#include <cmath>
#include <ctime>

#include <fmt/format.h>
#include <simdjson.h>

namespace flowsentry::flow {
namespace {

namespace dom = simdjson::dom;

FieldProblem problem_of(std::string field, std::string text, std::string reason) {
  return FieldProblem{std::move(field), std::move(text), std::move(reason)};
}

// Splits `line` at `sep` and calls `f(index, piece)` for each piece.
template <typename F>
size_t split(std::string_view line, std::string_view sep, F&& f) {
  size_t n = 0;
  size_t start = 0;
  while (true) {
    size_t at = sep.empty() ? std::string_view::npos : line.find(sep, start);
    f(n++, line.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
    if (at == std::string_view::npos) return n;
    start = at + sep.size();
  }
}

void set_text(ZeekValue& v, std::string_view text) {
  v.state = ZeekValue::kSet;
  if (text.find("\\x") == std::string_view::npos) {
    v.text.assign(text.data(), text.size());
  } else {
    v.text = zeek_unescape(text);
  }
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A JSON scalar as Zeek's TSV would write it; false for objects.
bool scalar_text(dom::element e, std::string& out) {
  switch (e.type()) {
    case dom::element_type::STRING:
      out.assign(std::string_view(e.get_string().value_unsafe()));
      return true;
    case dom::element_type::INT64:
      out = fmt::format("{}", int64_t(e.get_int64().value_unsafe()));
      return true;
    case dom::element_type::UINT64:
      out = fmt::format("{}", uint64_t(e.get_uint64().value_unsafe()));
      return true;
    case dom::element_type::DOUBLE:
      out = fmt::format("{}", double(e.get_double().value_unsafe()));
      return true;
    case dom::element_type::BOOL:
      out = e.get_bool().value_unsafe() ? "T" : "F";
      return true;
    default:
      return false;
  }
}

// One JSON value into `v`: null is unset, an empty array is (empty), an array is its scalars
// joined by ','. False when the value has a shape Zeek never writes (objects in arrays).
bool json_value(dom::element e, ZeekValue& v) {
  if (e.is_null()) {
    v.state = ZeekValue::kUnset;
    return true;
  }
  if (e.is_array()) {
    v.text.clear();
    std::string item;
    bool first = true;
    dom::array items;
    if (e.get_array().get(items)) return false;
    for (dom::element x : items) {
      if (!scalar_text(x, item)) return false;
      if (!first) v.text += ',';
      v.text += item;
      first = false;
    }
    v.state = first ? ZeekValue::kEmpty : ZeekValue::kSet;
    return true;
  }
  v.state = ZeekValue::kSet;
  return scalar_text(e, v.text);
}

}  // namespace

struct ZeekLogParser::Json {
  dom::parser parser;
};

ZeekLogParser::ZeekLogParser(std::vector<std::string> wanted, size_t required)
    : wanted_(std::move(wanted)), required_(required), json_(std::make_unique<Json>()) {}

ZeekLogParser::~ZeekLogParser() = default;
ZeekLogParser::ZeekLogParser(ZeekLogParser&&) noexcept = default;
ZeekLogParser& ZeekLogParser::operator=(ZeekLogParser&&) noexcept = default;

ZeekLogParser::Line ZeekLogParser::parse(std::string_view line, std::vector<ZeekValue>& values,
                                         FieldProblem& problem) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
  if (line.find_first_not_of(" \t") == std::string_view::npos) return Line::kHeader;
  values.resize(wanted_.size());
  for (auto& v : values) v.state = ZeekValue::kUnset;
  if (line.front() == '#') {
    header(line);
    tsv_ = true;
    return Line::kHeader;
  }
  // A log without a TSV header is JSON lines: a line of anything else is bad JSON there.
  if (line.front() == '{' || !tsv_) return parse_json(line, values, problem);
  return parse_tsv(line, values, problem);
}

void ZeekLogParser::header(std::string_view line) {
  if (line.starts_with("#separator ")) {
    separator_ = zeek_unescape(line.substr(11));
    columns_.clear();
    missing_.clear();
    return;
  }
  const size_t cut = line.find(separator_);
  const std::string_view key = line.substr(1, cut == std::string_view::npos ? cut : cut - 1);
  const std::string_view rest =
      cut == std::string_view::npos ? std::string_view() : line.substr(cut + separator_.size());
  if (key == "set_separator") set_separator_ = zeek_unescape(rest);
  if (key == "empty_field") empty_field_ = zeek_unescape(rest);
  if (key == "unset_field") unset_field_ = zeek_unescape(rest);
  if (key == "path") path_ = zeek_unescape(rest);
  if (key == "fields") set_fields(rest);
  if (key == "close") {
    columns_.clear();
    missing_.clear();
  }
}

void ZeekLogParser::set_fields(std::string_view list) {
  columns_.clear();
  std::vector<uint8_t> found(wanted_.size(), 0);
  column_count_ = split(list, separator_, [&](size_t, std::string_view name) {
    int index = -1;
    for (size_t w = 0; w < wanted_.size(); ++w) {
      if (wanted_[w] == name) {
        index = static_cast<int>(w);
        found[w] = 1;
      }
    }
    columns_.push_back(index);
  });
  missing_.clear();
  for (size_t w = 0; w < required_; ++w) {
    if (!found[w]) {
      missing_ = wanted_[w];
      break;
    }
  }
}

ZeekLogParser::Line ZeekLogParser::parse_tsv(std::string_view line, std::vector<ZeekValue>& values,
                                             FieldProblem& problem) {
  if (columns_.empty()) {
    problem = problem_of("#fields", "data line without a #fields header", "no_header");
    return Line::kInvalid;
  }
  if (!missing_.empty()) {
    problem = problem_of(missing_, "required column missing from #fields", "missing_column");
    return Line::kInvalid;
  }
  const size_t n = split(line, separator_, [&](size_t i, std::string_view text) {
    if (i >= columns_.size() || columns_[i] < 0) return;
    ZeekValue& v = values[static_cast<size_t>(columns_[i])];
    if (text == unset_field_) {
      v.state = ZeekValue::kUnset;
    } else if (text == empty_field_) {
      v.state = ZeekValue::kEmpty;
    } else {
      set_text(v, text);
    }
  });
  if (n != column_count_) {
    problem =
        problem_of("#fields", fmt::format("{} columns where #fields names {}", n, column_count_),
                   n < column_count_ ? "truncated_line" : "extra_columns");
    return Line::kInvalid;
  }
  return Line::kRow;
}

ZeekLogParser::Line ZeekLogParser::parse_json(std::string_view line, std::vector<ZeekValue>& values,
                                              FieldProblem& problem) {
  dom::element doc;
  if (auto err = json_->parser.parse(line.data(), line.size(), true).get(doc)) {
    problem = problem_of("", simdjson::error_message(err), "bad_json");
    return Line::kInvalid;
  }
  dom::object obj;
  if (doc.get_object().get(obj)) {
    problem = problem_of("", "a JSON line must be an object", "bad_json");
    return Line::kInvalid;
  }
  auto take = [&](std::string_view key, dom::element value) -> bool {
    for (size_t w = 0; w < wanted_.size(); ++w) {
      if (wanted_[w] == key) return json_value(value, values[w]);
    }
    return true;
  };
  std::string nested;
  for (auto [key, value] : obj) {
    bool ok = true;
    if (value.is_object()) {
      // Flattened by Zeek ("id.orig_h"); a nested "id" object is accepted the same way.
      dom::object inner;
      ok = value.get_object().get(inner) == simdjson::SUCCESS;
      if (ok) {
        for (auto [sub, sv] : inner) {
          nested = fmt::format("{}.{}", std::string_view(key), std::string_view(sub));
          if (sv.is_object() || !take(nested, sv)) ok = false;
        }
      }
    } else {
      ok = take(key, value);
    }
    if (!ok) {
      problem = problem_of(std::string(key), "a value of a shape Zeek does not write", "bad_type");
      return Line::kInvalid;
    }
  }
  for (size_t w = 0; w < required_; ++w) {
    if (values[w].state == ZeekValue::kUnset) {
      problem = problem_of(wanted_[w], "required field missing", "missing_field");
      return Line::kInvalid;
    }
  }
  return Line::kRow;
}

std::string zeek_unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
      const int hi = hex_digit(text[i + 2]);
      const int lo = hex_digit(text[i + 3]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 3;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

std::optional<double> parse_zeek_time(std::string_view text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec == std::errc() && p == text.data() + text.size()) {
    if (!std::isfinite(v)) return std::nullopt;
    return v;
  }
  // ISO 8601: YYYY-MM-DDTHH:MM:SS[.fraction][Z]
  if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
      (text[10] != 'T' && text[10] != ' ') || text[13] != ':' || text[16] != ':') {
    return std::nullopt;
  }
  auto num = [&](size_t at, size_t len, int& out) {
    auto [q, e] = std::from_chars(text.data() + at, text.data() + at + len, out);
    return e == std::errc() && q == text.data() + at + len;
  };
  std::tm tm{};
  int sec = 0;
  if (!num(0, 4, tm.tm_year) || !num(5, 2, tm.tm_mon) || !num(8, 2, tm.tm_mday) ||
      !num(11, 2, tm.tm_hour) || !num(14, 2, tm.tm_min) || !num(17, 2, sec)) {
    return std::nullopt;
  }
  if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || sec > 60) {
    return std::nullopt;
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  tm.tm_sec = sec;
  std::string_view rest = text.substr(19);
  double frac = 0;
  if (rest.starts_with('.')) {
    size_t digits = 1;
    while (digits < rest.size() && digits < 16 && rest[digits] >= '0' && rest[digits] <= '9') {
      ++digits;
    }
    if (digits == 1) return std::nullopt;
    std::string f = "0" + std::string(rest.substr(0, digits));
    frac = std::strtod(f.c_str(), nullptr);
    rest.remove_prefix(digits);
  }
  if (!(rest.empty() || rest == "Z" || rest == "+00:00")) return std::nullopt;
  return static_cast<double>(timegm(&tm)) + frac;
}

std::optional<uint64_t> parse_zeek_count(std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) return std::nullopt;
  return v;
}

std::optional<double> parse_zeek_interval(std::string_view text) {
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

}  // namespace flowsentry::flow
