// Outputs: every SIEM output `siem.outputs` configures, built once. The live commands hand it
// each scored batch (observe) and each alert (alert); both return at once.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "common/config.h"
#include "common/result.h"
#include "siem/output.h"
#include "siem/spec.h"

namespace flowsentry::siem {

struct OutputDefaults {
  size_t queue_capacity = 10000;
  int max_attempts = 5;
  double backoff_s = 0.5;
  double backoff_max_s = 30;
  double timeout_s = 5;
  int circuit_failures = 5;  // failed attempts in a row that open an output's circuit; 0 = never
  double circuit_open_s = 10;
  std::string hostname;  // syslog HOSTNAME; empty = this host's name
  int facility = 16;     // syslog facility (local0)
  std::string webhook_secret;
  std::string kafka_brokers;
  std::map<std::string, std::string> kafka_properties;  // stream::client_properties(config)
};

OutputDefaults output_defaults(const Config& c);

// The record text for an output's format: ECS/OCSF/JSON documents, or an RFC 5424 message
// with a CEF or JSON payload for syslog.
Formatter make_formatter(const OutputSpec& spec, const OutputDefaults& d);

Result<std::unique_ptr<Output>> make_output(const OutputSpec& spec, const OutputDefaults& d);

class Outputs {
 public:
  // Empty when siem.outputs is empty. Errors name the output at fault.
  static Result<std::unique_ptr<Outputs>> from_config(const Config& c);
  static Result<std::unique_ptr<Outputs>> create(std::string_view specs, const OutputDefaults& d);

  // `normal_only`: leave anomalous verdicts to another process (Output::offer).
  void observe(std::span<const model::ScoredFlow> batch, bool normal_only = false);
  void alert(const detect::Alert& alert);
  bool flush(std::chrono::milliseconds timeout);
  bool empty() const { return outputs_.empty(); }
  const std::vector<std::unique_ptr<Output>>& outputs() const { return outputs_; }

 private:
  std::vector<std::unique_ptr<Output>> outputs_;
};

}  // namespace flowsentry::siem
