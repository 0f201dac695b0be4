#include "siem/cef.h"

#include <cmath>

#include <fmt/format.h>

#include "siem/fields.h"

namespace flowsentry::siem {
namespace {

constexpr size_t kMaxValue = 1023;  // CEF's longest string field (msg); longer is cut

// One CEF line under construction: header, then `key=value` pairs joined by spaces.
class CefLine {
 public:
  CefLine(std::string_view signature, std::string_view name, int severity) {
    out_ = fmt::format("CEF:0|{}|{}|{}|{}|{}|{}|", kProduct, kProduct,
                       cef_escape_header(product_version()), cef_escape_header(signature),
                       cef_escape_header(name), severity);
  }
  void add(std::string_view key, std::string_view value) {
    if (value.empty()) return;
    if (!first_) out_ += ' ';
    first_ = false;
    out_ += key;
    out_ += '=';
    out_ += cef_escape_value(value.substr(0, kMaxValue));
  }
  void add(std::string_view key, int64_t value) { add(key, std::to_string(value)); }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
  bool first_ = true;
};

int64_t epoch_ms(double t) {
  return whole_number(std::round(t * 1000));
}

std::string plain_number(double v) {
  return fmt::format("{:.6g}", std::isfinite(v) ? v : 0.0);
}

}  // namespace

std::string cef_escape_header(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '\\' || c == '|') {
      out += '\\';
      out += c;
    } else if (c == '\n' || c == '\r') {
      out += ' ';  // the header has no line-break escape
    } else {
      out += c;
    }
  }
  return out;
}

std::string cef_escape_value(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '=':
        out += "\\=";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out += c;
    }
  }
  return out;
}

int cef_severity(detect::Severity s) {
  switch (s) {
    case detect::Severity::kInfo:
      return 3;
    case detect::Severity::kWarning:
      return 6;
    case detect::Severity::kCritical:
      return 10;
  }
  return 5;
}

std::string cef_alert(const detect::Alert& alert) {
  const auto a = alert.to_json();
  const std::string kind = alert_kind(a);
  const AlertHosts h = alert_hosts(a);
  CefLine line(kind, alert.summary, cef_severity(alert.severity));
  line.add("rt", epoch_ms(alert.time));
  if (!h.src.empty()) line.add("src", h.src.front());
  if (h.sport) line.add("spt", *h.sport);
  if (!h.dst.empty()) line.add("dst", h.dst.front());
  if (h.dport) line.add("dpt", *h.dport);
  line.add("cat", alert.type);
  line.add("externalId", alert.key());
  line.add("cs1Label", "context");
  line.add("cs1", alert.context);
  line.add("msg", alert.summary);
  return line.take();
}

std::string cef_verdict(const model::ScoredFlow& f, double now) {
  const auto& r = f.flow;
  const auto& v = f.verdict;
  const int severity = static_cast<int>(std::lround(verdict_risk(v) / 10));
  CefLine line(v.label ? "anomaly" : "flow", v.label ? "Anomalous flow" : "Flow scored", severity);
  line.add("rt", epoch_ms(r.stime.value_or(now)));
  if (r.srcip) line.add("src", *r.srcip);
  if (r.sport) line.add("spt", *r.sport);
  if (r.dstip) line.add("dst", *r.dstip);
  if (r.dsport) line.add("dpt", *r.dsport);
  line.add("proto", r.proto);
  if (has_value(r.service)) line.add("app", r.service);
  line.add("out", whole_number(r[flow::kSbytes]));
  line.add("in", whole_number(r[flow::kDbytes]));
  if (has_value(v.attack_cat)) line.add("cat", v.attack_cat);
  line.add("cfp1Label", "score");
  line.add("cfp1", plain_number(v.score));
  line.add("cs1Label", "state");
  line.add("cs1", r.state);
  line.add("cs2Label", "model_version");
  line.add("cs2", v.model_version);
  return line.take();
}

}  // namespace flowsentry::siem
