#include "siem/tests/samples.h"

namespace flowsentry::siem::testing {

model::ScoredFlow anomaly_with_hosts() {
  model::ScoredFlow f;
  f.flow.proto = "tcp";
  f.flow.service = "http";
  f.flow.state = "FIN";
  f.flow[flow::kDur] = 1.5;
  f.flow[flow::kSbytes] = 1200;
  f.flow[flow::kDbytes] = 54000;
  f.flow[flow::kSpkts] = 10;
  f.flow[flow::kDpkts] = 40;
  f.flow.stime = 1764745200.25;
  f.flow.ltime = 1764745201.75;
  f.flow.srcip = "10.0.0.5";
  f.flow.sport = 51515;
  f.flow.dstip = "192.168.1.20";
  f.flow.dsport = 80;
  f.flow.id = 42;
  f.flow.key = {"flows", 3, 1001};
  f.verdict = {0.973, 1, "Exploits", 0.8, 0.5, "v1-test", {{"sttl", 254, 1.2}}};
  return f;
}

model::ScoredFlow normal_without_hosts() {
  model::ScoredFlow f;
  f.flow.proto = "udp";
  f.flow.service = "-";
  f.flow.state = "INT";
  f.verdict = {0.01, 0, "Normal", 0.99, 0.5, "v1-test", {}};
  return f;
}

detect::Alert burst_alert() {
  detect::Alert a;
  a.type = "burst";
  a.context = "tcp/-/INT";
  a.severity = detect::Severity::kWarning;
  a.summary = "12 anomalies in 5 min, mostly tcp/-/INT";
  a.time = 1764745260;
  a.payload = {{"count", 12},
               {"attack_cat", "Reconnaissance"},
               {"examples",
                {{{"id", 7},
                  {"srcip", "10.0.0.5"},
                  {"dstip", "10.0.0.9"},
                  {"sport", 40000},
                  {"dsport", 22},
                  {"score", 0.9}}}}};
  return a;
}

detect::Alert behaviour_alert() {
  detect::Alert a;
  a.type = "behaviour";
  a.kind = "port_scan";
  a.context = "10.0.0.5";
  a.severity = detect::Severity::kCritical;
  a.summary = "10.0.0.5 -> 6 hosts, 412 ports in 60 s";
  a.time = 1764745300.5;
  a.payload = {
      {"hosts", {{"src", "10.0.0.5"}, {"dst", {"10.0.0.9", "10.0.0.10"}}}},
      {"evidence",
       {{"examples",
         {{{"srcip", "10.0.0.5"}, {"dstip", "10.0.0.9"}, {"sport", 40001}, {"dsport", 443}}}}}}};
  return a;
}

detect::Alert hostile_alert() {
  detect::Alert a;
  a.type = "mix_drift";
  a.context = "proto:a|b\\c=d";
  a.severity = detect::Severity::kInfo;
  a.summary = "line one\nline two | pipe \\ backslash = equals \r\xc3\xa9";
  a.time = 1764745400;
  return a;
}

std::vector<model::ScoredFlow> sample_verdicts() {
  return {anomaly_with_hosts(), normal_without_hosts()};
}

std::vector<detect::Alert> sample_alerts() {
  return {burst_alert(), behaviour_alert(), hostile_alert()};
}

}  // namespace flowsentry::siem::testing
