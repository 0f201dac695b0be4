#include "stream/zeek_conn.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include <fmt/format.h>

#include "common/clock.h"
#include "meter/features.h"
#include "meter/proto_names.h"

namespace flowsentry::stream {
namespace {

using flow::FieldProblem;
using flow::ZeekValue;

constexpr std::array<std::string_view, kConnFieldCount> kConnFieldNames{
    "ts",         "id.orig_h", "id.orig_p",     "id.resp_h", "id.resp_p",     "proto",
    "conn_state", "orig_pkts", "orig_ip_bytes", "resp_pkts", "resp_ip_bytes", "uid",
    "service",    "duration"};

FieldProblem bad_type(ConnField f, std::string_view text, std::string_view type) {
  return FieldProblem{std::string(kConnFieldNames[f]),
                      fmt::format("'{}' is not a Zeek {}", text.substr(0, 40), type), "bad_type"};
}

// Argus's protocol name for Zeek's transport_proto; for unknown_transport, the name of
// ip_proto (Zeek 8) when logged.
std::string argus_proto(std::string_view zeek_proto, bool ipv6, const ZeekValue& ip_proto) {
  if (zeek_proto == "icmp") return ipv6 ? "ipv6-icmp" : "icmp";
  if (zeek_proto == "tcp" || zeek_proto == "udp") return std::string(zeek_proto);
  const auto number = ip_proto.is_set() ? flow::parse_zeek_count(ip_proto.text) : std::nullopt;
  if (number && *number <= 255) {
    return std::string(meter::argus_proto_name(static_cast<uint8_t>(*number)));
  }
  return "unas";
}

// Zeek joins a connection's services with ',' ("ssl,http"); the data set has one name. Names
// prefixed with '-' are services Zeek removed again (DPD::track_removed_services_in_connection).
std::string first_service(const ZeekValue& v) {
  if (!v.is_set()) return std::string(flow::kNone);
  std::string_view list = v.text;
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view name = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name.empty() || name.front() == '-') continue;
    std::string s(name);
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
  }
  return std::string(flow::kNone);
}

}  // namespace

std::vector<std::string> conn_field_names() {
  return {kConnFieldNames.begin(), kConnFieldNames.end()};
}

std::string argus_state(std::string_view conn_state, std::string_view argus_proto, bool orig,
                        bool resp, int64_t type, int64_t code) {
  if (argus_proto == "icmp" && type >= 0 && type <= 255 && code >= 0 && code <= 255) {
    return std::string(meter::icmp_state(static_cast<uint8_t>(type), static_cast<uint8_t>(code)));
  }
  const std::string_view by_packets = orig && resp ? "CON" : orig ? "INT" : "RSP";
  if (argus_proto != "tcp") return std::string(by_packets);
  struct Row {
    std::string_view zeek, argus;
  };
  static constexpr std::array<Row, 12> kTcp{{{"S0", "REQ"},
                                             {"S1", "CON"},
                                             {"SF", "FIN"},
                                             {"REJ", "RST"},
                                             {"S2", "FIN"},
                                             {"S3", "FIN"},
                                             {"RSTO", "RST"},
                                             {"RSTR", "RST"},
                                             {"RSTOS0", "RST"},
                                             {"RSTRH", "RST"},
                                             {"SH", "FIN"},
                                             {"SHR", "FIN"}}};
  for (const auto& r : kTcp) {
    if (r.zeek == conn_state) return std::string(r.argus);
  }
  return std::string(by_packets);  // OTH (midstream) and states newer than this table
}

std::optional<FieldProblem> conn_to_flow(const std::vector<ZeekValue>& row, int link_header_bytes,
                                         flow::FlowRecord& rec) {
  rec = flow::FlowRecord{};
  for (size_t f = 0; f < kConnRequired; ++f) {
    // A required field written as unset ('-') or empty.
    if (!row[f].is_set()) {
      return FieldProblem{std::string(kConnFieldNames[f]), "required field unset", "missing_field"};
    }
  }
  const auto ts = flow::parse_zeek_time(row[kTs].text);
  if (!ts) return bad_type(kTs, row[kTs].text, "time");
  double dur = 0;
  if (row[kDuration].is_set()) {
    auto d = flow::parse_zeek_interval(row[kDuration].text);
    if (!d) return bad_type(kDuration, row[kDuration].text, "interval");
    dur = *d;
  }
  std::array<uint64_t, 4> n{};
  constexpr std::array<ConnField, 4> kCounts{kOrigPkts, kOrigIpBytes, kRespPkts, kRespIpBytes};
  for (size_t i = 0; i < kCounts.size(); ++i) {
    auto c = flow::parse_zeek_count(row[kCounts[i]].text);
    if (!c) return bad_type(kCounts[i], row[kCounts[i]].text, "count");
    n[i] = *c;
  }
  const uint64_t spkts = n[0], dpkts = n[2];
  const double link = std::max(link_header_bytes, 0);
  rec[flow::kDur] = dur;
  rec[flow::kSpkts] = static_cast<double>(spkts);
  rec[flow::kDpkts] = static_cast<double>(dpkts);
  rec[flow::kSbytes] = static_cast<double>(n[1]) + link * static_cast<double>(spkts);
  rec[flow::kDbytes] = static_cast<double>(n[3]) + link * static_cast<double>(dpkts);
  // Bounds first: the derived fields below convert these to integers.
  for (auto f : {flow::kDur, flow::kSpkts, flow::kDpkts, flow::kSbytes, flow::kDbytes}) {
    if (auto p = flow::check_num(f, rec[f])) return p;
  }
  if (auto p = flow::set_address("id.orig_h", row[kOrigH].text, rec.srcip)) return p;
  if (auto p = flow::set_address("id.resp_h", row[kRespH].text, rec.dstip)) return p;
  if (auto p = flow::set_port("id.orig_p", row[kOrigP].text, rec.sport)) return p;
  if (auto p = flow::set_port("id.resp_p", row[kRespP].text, rec.dsport)) return p;
  if (!rec.srcip || !rec.dstip || !rec.sport || !rec.dsport) {
    return FieldProblem{"id", "the connection's addresses and ports are required", "bad_address"};
  }
  const bool ipv6 = rec.srcip->find(':') != std::string::npos;
  rec.proto = argus_proto(row[kConnProto].text, ipv6, row[kIpProto]);
  rec.service = first_service(row[kConnService]);
  const double sbytes = rec[flow::kSbytes], dbytes = rec[flow::kDbytes];
  rec.state =
      argus_state(row[kConnState].text, rec.proto, spkts > 0, dpkts > 0, *rec.sport, *rec.dsport);
  const uint64_t pkts = spkts + dpkts;
  rec[flow::kRate] = (pkts > 1 && dur > 0) ? static_cast<double>(pkts - 1) / dur : 0;
  rec[flow::kSload] = meter::argus_load_bps(static_cast<uint64_t>(sbytes), spkts, dur);
  rec[flow::kDload] = meter::argus_load_bps(static_cast<uint64_t>(dbytes), dpkts, dur);
  rec[flow::kSmean] = spkts ? std::round(sbytes / static_cast<double>(spkts)) : 0;
  rec[flow::kDmean] = dpkts ? std::round(dbytes / static_cast<double>(dpkts)) : 0;
  rec[flow::kIsSmIpsPorts] = (*rec.srcip == *rec.dstip && *rec.sport == *rec.dsport) ? 1 : 0;
  rec.stime = *ts;
  rec.ltime = *ts + dur;
  for (size_t f = 0; f < flow::kNumFieldCount; ++f) {
    if (auto p = flow::check_num(static_cast<flow::NumField>(f), rec.num[f])) return p;
  }
  if (auto p = flow::check_time("ts", *rec.stime, wall_seconds())) return p;
  if (auto p = flow::check_time("ts", *rec.ltime, wall_seconds())) return p;
  return std::nullopt;
}

void apply_app_counts(const AppCounts& c, flow::FlowRecord& rec) {
  rec[flow::kTransDepth] = c.trans_depth;
  rec[flow::kResponseBodyLen] = static_cast<double>(c.response_body_len);
  rec[flow::kCtFlwHttpMthd] = c.http_methods;
  rec[flow::kIsFtpLogin] = c.ftp_login;
  rec[flow::kCtFtpCmd] = c.ftp_commands;
}

}  // namespace flowsentry::stream
