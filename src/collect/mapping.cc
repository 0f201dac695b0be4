#include "collect/mapping.h"

#include <arpa/inet.h>

#include <cmath>

#include "meter/features.h"
#include "meter/proto_names.h"
#include "meter/service.h"

namespace flowsentry::collect {
namespace {

constexpr uint16_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kAck = 0x10;

std::string address_text(const std::array<uint8_t, 16>& a, bool ipv6) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(ipv6 ? AF_INET6 : AF_INET, a.data(), buf, sizeof(buf));
  return buf;
}

// Argus's load: the bits of all but one packet's worth of bytes over the duration.
double load(double bytes, double pkts, double dur) {
  if (pkts <= 1 || dur <= 0) return 0;
  return (bytes - std::floor(bytes / pkts)) * 8 / dur;
}

double mean(double bytes, double pkts) {
  return pkts > 0 ? std::round(bytes / pkts) : 0;
}

}  // namespace

std::string_view state_of(const ExportRecord& r) {
  const bool both = r.packets > 0 && r.rev_packets > 0;
  if (r.proto == kProtoTcp) {
    const uint16_t flags = r.tcp_flags | r.rev_tcp_flags;
    if (flags & kRst) return "RST";
    if (flags & kFin) return "FIN";
    if ((flags & kSyn) && !(flags & kAck)) return "REQ";
    if (flags & (kSyn | kAck)) return "CON";
    return both ? "CON" : "INT";
  }
  if (r.proto == kProtoIcmp) {
    return meter::icmp_state(static_cast<uint8_t>(r.dport >> 8), static_cast<uint8_t>(r.dport));
  }
  return both ? "CON" : "INT";
}

std::optional<flow::FieldProblem> to_flow_record(const ExportRecord& r,
                                                 const MappingSettings& settings, double now,
                                                 flow::FlowRecord& out) {
  using namespace flow;
  out = FlowRecord{};
  const double stime = static_cast<double>(r.start_us) / 1e6;
  const double ltime = static_cast<double>(r.end_us) / 1e6;
  if (auto p = check_time("stime", stime, now)) return p;
  if (auto p = check_time("ltime", ltime, now)) return p;
  out.stime = stime;
  out.ltime = ltime;
  out.srcip = address_text(r.src, r.ipv6);
  out.dstip = address_text(r.dst, r.ipv6);
  const bool icmp = r.proto == kProtoIcmp || r.proto == kProtoIcmpV6;
  // ICMP as the meter writes it: sport = type, dsport = code.
  out.sport = icmp ? r.dport >> 8 : r.sport;
  out.dsport = icmp ? r.dport & 0xff : r.dport;
  out.proto = std::string(meter::argus_proto_name(r.proto));
  auto service = icmp ? std::string_view{} : meter::service_by_port(r.proto, r.dport);
  if (service.empty() && !icmp) service = meter::service_by_port(r.proto, r.sport);
  out.service = service.empty() ? std::string(kNone) : std::string(service);
  out.state = std::string(state_of(r));

  const double link = settings.link_layer_bytes;
  const double spkts = static_cast<double>(r.packets), dpkts = static_cast<double>(r.rev_packets);
  const double sbytes = static_cast<double>(r.bytes) + link * spkts;
  const double dbytes = static_cast<double>(r.rev_bytes) + link * dpkts;
  const double dur = ltime - stime;
  out[kDur] = dur;
  out[kSpkts] = spkts;
  out[kDpkts] = dpkts;
  out[kSbytes] = sbytes;
  out[kDbytes] = dbytes;
  out[kRate] = dur > 0 && spkts + dpkts > 1 ? (spkts + dpkts - 1) / dur : 0;
  out[kSload] = load(sbytes, spkts, dur);
  out[kDload] = load(dbytes, dpkts, dur);
  out[kSmean] = mean(sbytes, spkts);
  out[kDmean] = mean(dbytes, dpkts);
  out[kIsSmIpsPorts] = out.srcip == out.dstip && out.sport == out.dsport ? 1 : 0;
  for (NumField f :
       {kDur, kSpkts, kDpkts, kSbytes, kDbytes, kRate, kSload, kDload, kSmean, kDmean}) {
    if (auto p = check_num(f, out[f])) return p;
  }
  return std::nullopt;
}

}  // namespace flowsentry::collect
