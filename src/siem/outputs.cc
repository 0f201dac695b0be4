#include "siem/outputs.h"

#include <charconv>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/log.h"
#include "siem/cef.h"
#include "siem/ecs.h"
#include "siem/fields.h"
#include "siem/file_transport.h"
#include "siem/kafka_transport.h"
#include "siem/ocsf.h"
#include "siem/syslog_frame.h"
#include "siem/syslog_transport.h"
#include "siem/webhook_transport.h"
#include "stream/kafka_common.h"

namespace flowsentry::siem {
namespace {

using nlohmann::json;

// Documents go out as one line; invalid UTF-8 from a hostile producer is replaced, not thrown.
std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<std::string> document(Format f, const Record& r) {
  if (const auto* flow = std::get_if<model::ScoredFlow>(&r)) {
    if (f == Format::kOcsf) return std::nullopt;
    return dump(ecs_verdict(*flow, wall_seconds()));
  }
  const auto& a = std::get<detect::Alert>(r);
  if (f == Format::kOcsf) return dump(ocsf_finding(a));
  if (f == Format::kJson) return dump(a.to_json());
  return dump(ecs_alert(a));
}

std::string syslog_message(Format f, const Record& r, const OutputDefaults& d) {
  SyslogHeader h;
  h.facility = d.facility;
  h.hostname = d.hostname.empty() ? local_hostname() : d.hostname;
  h.procid = std::to_string(::getpid());
  std::string payload;
  if (const auto* flow = std::get_if<model::ScoredFlow>(&r)) {
    h.severity = flow->verdict.label ? 4 : 6;
    h.time = flow->flow.stime.value_or(wall_seconds());
    h.msgid = flow->verdict.label ? "anomaly" : "verdict";
    payload = f == Format::kCef ? cef_verdict(*flow, h.time) : dump(ecs_verdict(*flow, h.time));
  } else {
    const auto& a = std::get<detect::Alert>(r);
    h.severity = syslog_severity(a.severity);
    h.time = a.time;
    h.msgid = alert_kind(a.to_json());
    payload = f == Format::kCef ? cef_alert(a) : dump(ecs_alert(a));
  }
  return rfc5424(h, payload);
}

template <class T>
Result<T> number(const OutputSpec& s, const std::string& key, T fallback) {
  auto it = s.params.find(key);
  if (it == s.params.end()) return fallback;
  T v{};
  auto [p, ec] = std::from_chars(it->second.data(), it->second.data() + it->second.size(), v);
  if (ec != std::errc() || p != it->second.data() + it->second.size() || v < 0) {
    return make_error(ErrorCode::kInvalidArgument, key + " must be a non-negative number",
                      "siem.outputs " + s.name);
  }
  return v;
}

std::string param(const OutputSpec& s, const std::string& key, std::string fallback = {}) {
  auto it = s.params.find(key);
  return it == s.params.end() ? fallback : it->second;
}

Result<SyslogOptions> syslog_options(const OutputSpec& s, const OutputDefaults& d) {
  SyslogOptions o;
  const auto scheme_end = s.target.find("://");
  const std::string scheme = scheme_end == std::string::npos ? "" : s.target.substr(0, scheme_end);
  if (scheme == "udp")
    o.protocol = SyslogProtocol::kUdp;
  else if (scheme == "tcp")
    o.protocol = SyslogProtocol::kTcp;
  else if (scheme == "tls")
    o.protocol = SyslogProtocol::kTls;
  else {
    return make_error(ErrorCode::kInvalidArgument,
                      "syslog target is udp://, tcp:// or tls://HOST:PORT",
                      "siem.outputs " + s.name);
  }
  std::string rest = s.target.substr(scheme_end + 3);
  const auto colon = rest.rfind(':');
  o.port = o.protocol == SyslogProtocol::kTls   ? 6514
           : o.protocol == SyslogProtocol::kTcp ? 601
                                                : 514;
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    auto [p, ec] = std::from_chars(rest.data() + colon + 1, rest.data() + rest.size(), o.port);
    if (ec != std::errc() || p != rest.data() + rest.size() || o.port < 1 || o.port > 65535) {
      return make_error(ErrorCode::kInvalidArgument, "syslog port must be 1..65535",
                        "siem.outputs " + s.name);
    }
    rest.resize(colon);
  }
  if (rest.size() > 2 && rest.front() == '[' && rest.back() == ']')
    rest = rest.substr(1, rest.size() - 2);
  if (rest.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "syslog target has no host",
                      "siem.outputs " + s.name);
  }
  o.host = rest;
  o.ca_file = param(s, "ca");
  o.cert_file = param(s, "cert");
  o.key_file = param(s, "key", o.cert_file);
  o.timeout_s = d.timeout_s;
  return o;
}

Result<std::unique_ptr<Transport>> make_transport(const OutputSpec& s, const OutputDefaults& d) {
  if (s.kind == "file") {
    auto mb = number<double>(s, "max_mb", 100);
    auto keep = number<int>(s, "keep", 5);
    if (!mb.ok()) return mb.error();
    if (!keep.ok()) return keep.error();
    FileOptions o{s.target, static_cast<uint64_t>(*mb * 1024 * 1024), *keep};
    return std::unique_ptr<Transport>(std::make_unique<FileTransport>(std::move(o)));
  }
  if (s.kind == "syslog") {
    auto o = syslog_options(s, d);
    if (!o.ok()) return o.error();
    return make_syslog_transport(std::move(o.value()));
  }
  if (s.kind == "webhook") {
    WebhookOptions o{s.target, param(s, "secret", d.webhook_secret), s.headers, d.timeout_s};
    return make_webhook_transport(std::move(o));
  }
  auto& failed = MetricsRegistry::global().counter(
      "flowsentry_siem_dropped_total",
      "Records a SIEM output dropped, by reason (queue_full, attempts, rejected, circuit_open, "
      "shutdown; delivery_failed for Kafka)",
      {{"output", s.name}, {"reason", "delivery_failed"}});
  return make_kafka_transport({param(s, "brokers", d.kafka_brokers), s.target, d.kafka_properties},
                              [&failed] { failed.inc(); });
}

const char* filter_name(Filter f) {
  switch (f) {
    case Filter::kAnomalies:
      return "anomalies";
    case Filter::kAlerts:
      return "alerts";
    case Filter::kAll:
      return "all";
  }
  return "?";
}

}  // namespace

OutputDefaults output_defaults(const Config& c) {
  OutputDefaults d;
  d.queue_capacity = static_cast<size_t>(c.get_int("siem.queue_capacity"));
  d.max_attempts = static_cast<int>(c.get_int("siem.max_attempts"));
  d.backoff_s = c.get_double("siem.backoff_s");
  d.backoff_max_s = c.get_double("siem.backoff_max_s");
  d.timeout_s = c.get_double("siem.timeout_s");
  d.circuit_failures = static_cast<int>(c.get_int("siem.circuit_failures"));
  d.circuit_open_s = c.get_double("siem.circuit_open_s");
  d.hostname = c.get_string("siem.hostname");
  d.facility = static_cast<int>(c.get_int("siem.syslog_facility"));
  d.webhook_secret = c.get_string("siem.webhook_secret");
  d.kafka_brokers = c.get_string("kafka.brokers");
  // Settings that do not fit together stop the worker's or alerter's own Kafka clients first.
  if (auto p = stream::client_properties(c); p.ok()) d.kafka_properties = std::move(*p);
  return d;
}

Formatter make_formatter(const OutputSpec& spec, const OutputDefaults& d) {
  if (spec.kind == "syslog") {
    return [f = spec.format, d](const Record& r) -> std::optional<std::string> {
      return syslog_message(f, r, d);
    };
  }
  return [f = spec.format](const Record& r) { return document(f, r); };
}

Result<std::unique_ptr<Output>> make_output(const OutputSpec& spec, const OutputDefaults& d) {
  auto transport = make_transport(spec, d);
  if (!transport.ok()) return transport.error();
  OutputOptions o;
  o.name = spec.name;
  o.filter = spec.filter;
  o.queue_capacity = d.queue_capacity;
  o.max_attempts = d.max_attempts;
  o.backoff_initial_s = d.backoff_s;
  o.backoff_max_s = d.backoff_max_s;
  o.circuit = {d.circuit_failures, d.circuit_open_s, std::max(d.circuit_open_s, d.backoff_max_s)};
  return std::make_unique<Output>(o, make_formatter(spec, d), std::move(transport.value()));
}

Result<std::unique_ptr<Outputs>> Outputs::create(std::string_view specs, const OutputDefaults& d) {
  auto parsed = parse_output_specs(specs);
  if (!parsed.ok()) return parsed.error();
  auto out = std::make_unique<Outputs>();
  for (const auto& spec : *parsed) {
    auto o = make_output(spec, d);
    if (!o.ok()) return o.error();
    // Not the target: a webhook URL is a secret.
    module_logger("siem")->info("SIEM output {}: {}, filter {}", spec.name, spec.kind,
                                filter_name(spec.filter));
    out->outputs_.push_back(std::move(o.value()));
  }
  return out;
}

Result<std::unique_ptr<Outputs>> Outputs::from_config(const Config& c) {
  return create(c.get_string("siem.outputs"), output_defaults(c));
}

void Outputs::observe(std::span<const model::ScoredFlow> batch, bool normal_only) {
  for (auto& o : outputs_) o->offer(batch, normal_only);
}

void Outputs::alert(const detect::Alert& alert) {
  for (auto& o : outputs_) o->offer(alert);
}

bool Outputs::flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool all = true;
  for (auto& o : outputs_) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    all = o->flush(std::max(left, std::chrono::milliseconds(0))) && all;
  }
  return all;
}

}  // namespace flowsentry::siem
