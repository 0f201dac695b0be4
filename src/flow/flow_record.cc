#include "flow/flow_record.h"

namespace flowsentry::flow {

using K = ValueKind;

const std::array<NumFieldSpec, kNumFieldCount> kNumFields{{
    {"dur", K::kReal, "record total duration (s)"},
    {"spkts", K::kCount, "source to destination packet count"},
    {"dpkts", K::kCount, "destination to source packet count"},
    {"sbytes", K::kCount, "source to destination bytes"},
    {"dbytes", K::kCount, "destination to source bytes"},
    {"rate", K::kReal, "packets per second"},
    {"sttl", K::kTtl, "source to destination time to live"},
    {"dttl", K::kTtl, "destination to source time to live"},
    {"sload", K::kReal, "source bits per second"},
    {"dload", K::kReal, "destination bits per second"},
    {"sloss", K::kCount, "source packets retransmitted or dropped"},
    {"dloss", K::kCount, "destination packets retransmitted or dropped"},
    {"sinpkt", K::kReal, "source inter-packet arrival time (ms)"},
    {"dinpkt", K::kReal, "destination inter-packet arrival time (ms)"},
    {"sjit", K::kReal, "source jitter (ms)"},
    {"djit", K::kReal, "destination jitter (ms)"},
    {"swin", K::kCount, "source TCP window advertisement"},
    {"stcpb", K::kCount, "source TCP base sequence number"},
    {"dtcpb", K::kCount, "destination TCP base sequence number"},
    {"dwin", K::kCount, "destination TCP window advertisement"},
    {"tcprtt", K::kReal, "TCP setup round-trip time (synack + ackdat)"},
    {"synack", K::kReal, "time between SYN and SYN-ACK"},
    {"ackdat", K::kReal, "time between SYN-ACK and ACK"},
    {"smean", K::kCount, "mean packet size sent by the source"},
    {"dmean", K::kCount, "mean packet size sent by the destination"},
    {"trans_depth", K::kCount, "pipelined depth of the HTTP transaction"},
    {"response_body_len", K::kCount, "uncompressed HTTP response body size"},
    {"ct_srv_src", K::kCount, "flows with this service and source in the last 100"},
    {"ct_state_ttl", K::kCount, "state/TTL-range class"},
    {"ct_dst_ltm", K::kCount, "flows to this destination in the last 100"},
    {"ct_src_dport_ltm", K::kCount, "flows from this source to this port in the last 100"},
    {"ct_dst_sport_ltm", K::kCount, "flows to this destination from this port in the last 100"},
    {"ct_dst_src_ltm", K::kCount, "flows between this source and destination in the last 100"},
    {"is_ftp_login", K::kCount, "FTP session logged in with user and password (0, 1, 2)"},
    {"ct_ftp_cmd", K::kCount, "flows with an FTP command"},
    {"ct_flw_http_mthd", K::kCount, "flows with HTTP methods such as GET and POST"},
    {"ct_src_ltm", K::kCount, "flows from this source in the last 100"},
    {"ct_srv_dst", K::kCount, "flows with this service and destination in the last 100"},
    {"is_sm_ips_ports", K::kFlag, "source and destination address and port are equal"},
}};

NumField num_field_by_name(std::string_view name) {
  for (size_t i = 0; i < kNumFields.size(); ++i) {
    if (kNumFields[i].name == name) return static_cast<NumField>(i);
  }
  return kNumFieldCount;
}

}  // namespace flowsentry::flow
