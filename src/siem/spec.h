// Output specs: what `siem.outputs` holds. Outputs are separated by ';', each is
//   KIND TARGET [key=value ...]
// with whitespace between the words:
//   file /var/log/flowsentry/ecs.jsonl filter=anomalies max_mb=100 keep=5
//   kafka siem.ecs filter=all                     (brokers: kafka.brokers, or brokers=...)
//   syslog udp://siem.example:514 format=cef     (also tcp://, tls://; ca=, cert=, key=)
//   webhook https://hooks.example/x filter=alerts secret=... header=X-Api-Key:abc
// Common keys: filter=anomalies|alerts|all (default alerts), format=ecs|ocsf|cef|json,
// name= (the metrics label; default KIND-N).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "siem/output.h"

namespace flowsentry::siem {

enum class Format { kEcs, kOcsf, kCef, kJson };

struct OutputSpec {
  std::string kind;    // file | kafka | syslog | webhook
  std::string target;  // path, topic, udp://host:port, URL
  std::string name;
  Filter filter = Filter::kAlerts;
  Format format = Format::kEcs;
  std::map<std::string, std::string> params;                 // the other key=value words
  std::vector<std::pair<std::string, std::string>> headers;  // webhook header=Name:value
};

// Errors name the output (its position and kind) and the word at fault; never echo values,
// which may be secrets.
Result<std::vector<OutputSpec>> parse_output_specs(std::string_view text);

}  // namespace flowsentry::siem
