#include "flow/flow_record.h"

namespace flowsentry::flow {

using K = ValueKind;

namespace {
constexpr double kDay = 86400;
constexpr double kU32 = 4294967295.0;  // TCP sequence numbers; scaled windows stay below
constexpr double kCountMax = 1e6;      // ct_* counts and other per-connection counters
}  // namespace

const std::array<NumFieldSpec, kNumFieldCount> kNumFields{{
    {"dur", K::kReal, "record total duration (s)", kDay * 366},
    {"spkts", K::kCount, "source to destination packet count", 1e12},
    {"dpkts", K::kCount, "destination to source packet count", 1e12},
    {"sbytes", K::kCount, "source to destination bytes", 1e15},
    {"dbytes", K::kCount, "destination to source bytes", 1e15},
    {"rate", K::kReal, "packets per second", 1e9},
    {"sttl", K::kTtl, "source to destination time to live", 255},
    {"dttl", K::kTtl, "destination to source time to live", 255},
    {"sload", K::kReal, "source bits per second", 1e13},
    {"dload", K::kReal, "destination bits per second", 1e13},
    {"sloss", K::kCount, "source packets retransmitted or dropped", 1e12},
    {"dloss", K::kCount, "destination packets retransmitted or dropped", 1e12},
    {"sinpkt", K::kReal, "source inter-packet arrival time (ms)", 1e10},
    {"dinpkt", K::kReal, "destination inter-packet arrival time (ms)", 1e10},
    {"sjit", K::kReal, "source jitter (ms)", 1e12},
    {"djit", K::kReal, "destination jitter (ms)", 1e12},
    {"swin", K::kCount, "source TCP window advertisement", kU32},
    {"stcpb", K::kCount, "source TCP base sequence number", kU32},
    {"dtcpb", K::kCount, "destination TCP base sequence number", kU32},
    {"dwin", K::kCount, "destination TCP window advertisement", kU32},
    {"tcprtt", K::kReal, "TCP setup round-trip time (synack + ackdat)", kDay},
    {"synack", K::kReal, "time between SYN and SYN-ACK", kDay},
    {"ackdat", K::kReal, "time between SYN-ACK and ACK", kDay},
    {"smean", K::kCount, "mean packet size sent by the source", 1e6},
    {"dmean", K::kCount, "mean packet size sent by the destination", 1e6},
    {"trans_depth", K::kCount, "pipelined depth of the HTTP transaction", 1e6},
    {"response_body_len", K::kCount, "uncompressed HTTP response body size", 1e15},
    {"ct_srv_src", K::kCount, "flows with this service and source in the last 100", kCountMax},
    {"ct_state_ttl", K::kCount, "state/TTL-range class", 255},
    {"ct_dst_ltm", K::kCount, "flows to this destination in the last 100", kCountMax},
    {"ct_src_dport_ltm", K::kCount, "flows from this source to this port in the last 100",
     kCountMax},
    {"ct_dst_sport_ltm", K::kCount, "flows to this destination from this port in the last 100",
     kCountMax},
    {"ct_dst_src_ltm", K::kCount, "flows between this source and destination in the last 100",
     kCountMax},
    {"is_ftp_login", K::kCount, "FTP session logged in with user and password (0, 1, 2)", 255},
    {"ct_ftp_cmd", K::kCount, "flows with an FTP command", kCountMax},
    {"ct_flw_http_mthd", K::kCount, "flows with HTTP methods such as GET and POST", kCountMax},
    {"ct_src_ltm", K::kCount, "flows from this source in the last 100", kCountMax},
    {"ct_srv_dst", K::kCount, "flows with this service and destination in the last 100", kCountMax},
    {"is_sm_ips_ports", K::kFlag, "source and destination address and port are equal", 1},
}};

NumField num_field_by_name(std::string_view name) {
  for (size_t i = 0; i < kNumFields.size(); ++i) {
    if (kNumFields[i].name == name) return static_cast<NumField>(i);
  }
  return kNumFieldCount;
}

}  // namespace flowsentry::flow
