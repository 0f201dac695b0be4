#include "detect/behaviour_evidence.h"

#include <algorithm>

namespace flowsentry::detect {

bool failed_attempt(const flow::FlowRecord& f) {
  const double spkts = f[flow::kSpkts], dpkts = f[flow::kDpkts];
  if (f.proto == "tcp") {
    if (f.state == "REQ" || f.state == "INT" || f.state == "ACC") return true;
    // A port that answers a SYN with RST, or nmap's SYN / SYN-ACK / RST: no exchange.
    return f.state == "RST" && spkts <= 3 && dpkts <= 2 && f[flow::kSbytes] <= 3 * 80;
  }
  return dpkts == 0;
}

bool half_open_probe(const flow::FlowRecord& f) {
  return f.proto == "tcp" && f.state == "RST" && f[flow::kSynack] > 0 && f[flow::kSpkts] <= 2 &&
         f[flow::kDpkts] <= 2 && f[flow::kSbytes] <= 2 * 80 && f[flow::kDbytes] <= 2 * 80;
}

bool has_identity(const flow::FlowRecord& f) {
  return f.stime && f.srcip && f.dstip && !f.srcip->empty() && !f.dstip->empty();
}

nlohmann::json ExampleFlow::to_json() const {
  return {{"stime", stime},  {"ltime", ltime},  {"srcip", src},   {"sport", sport},
          {"dstip", dst},    {"dsport", dport}, {"proto", proto}, {"service", service},
          {"state", state},  {"spkts", spkts},  {"dpkts", dpkts}, {"sbytes", sbytes},
          {"dbytes", dbytes}};
}

void Examples::add(const flow::FlowRecord& f, size_t max) {
  if (flows_.size() >= max) return;
  ExampleFlow e;
  e.stime = f.stime.value_or(0);
  e.ltime = f.ltime.value_or(e.stime);
  e.src = f.srcip.value_or("");
  e.dst = f.dstip.value_or("");
  e.sport = f.sport.value_or(0);
  e.dport = f.dsport.value_or(0);
  e.proto = f.proto;
  e.state = f.state;
  e.service = f.service;
  e.spkts = f[flow::kSpkts];
  e.dpkts = f[flow::kDpkts];
  e.sbytes = f[flow::kSbytes];
  e.dbytes = f[flow::kDbytes];
  flows_.push_back(std::move(e));
}

nlohmann::json Examples::to_json() const {
  auto out = nlohmann::json::array();
  for (const auto& e : flows_) out.push_back(e.to_json());
  return out;
}

nlohmann::json Tally::states() const {
  auto out = nlohmann::json::object();
  for (size_t i = 0; i < kStates && state_counts[i] > 0; ++i) {
    out[state_names[i].data()] = state_counts[i];
  }
  return out;
}

void Tally::add(const flow::FlowRecord& f, double t) {
  const double end = std::max(t, f.ltime.value_or(t));
  if (flows == 0 || t < first) first = t;
  last = std::max(last, end);
  ++flows;
  packets += static_cast<uint64_t>(f[flow::kSpkts] + f[flow::kDpkts]);
  const std::string_view name = std::string_view(f.state).substr(0, 7);
  for (size_t i = 0; i < kStates; ++i) {
    if (state_counts[i] == 0) name.copy(state_names[i].data(), name.size());
    if (std::string_view(state_names[i].data()) == name) {
      ++state_counts[i];
      break;
    }
  }
}

Alert behaviour_alert(const std::string& kind, const std::string& context, Severity severity,
                      std::string summary, const Tally& tally, nlohmann::json hosts,
                      nlohmann::json evidence, const Examples& examples) {
  Alert a;
  a.type = "behaviour";
  a.kind = kind;
  a.context = context;
  a.severity = severity;
  a.summary = std::move(summary);
  a.time = tally.last;
  evidence["flows"] = tally.flows;
  evidence["packets"] = tally.packets;
  evidence["states"] = tally.states();
  evidence["examples"] = examples.to_json();
  a.payload = {{"first_time", tally.first},
               {"last_time", tally.last},
               {"hosts", std::move(hosts)},
               {"evidence", std::move(evidence)}};
  return a;
}

}  // namespace flowsentry::detect
