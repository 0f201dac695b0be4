// Zeek conn.log rows to flow records: the mapping of fields, units and states (README.md,
// "Zeek conn.log"), and the HTTP/FTP counts that http.log and ftp.log add by uid.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow_record.h"
#include "flow/validate.h"
#include "flow/zeek_log.h"

namespace flowsentry::stream {

struct ZeekOptions {
  // Added to each packet's IP bytes: UNSW-NB15's sbytes/dbytes count the link-layer header
  // (14 bytes for Ethernet), Zeek's *_ip_bytes do not.
  int link_header_bytes = 14;
  // Most http.log/ftp.log connections held while waiting for their conn.log row.
  size_t max_join_entries = 100'000;
  // Longest log line read; longer lines are rejected as `line_too_long`.
  size_t max_line_bytes = 64 << 10;
};

// The conn.log fields read, in the order ZeekLogParser returns them. The first
// kConnRequired must be in every row; the rest may be unset.
enum ConnField : uint8_t {
  kTs,
  kOrigH,
  kOrigP,
  kRespH,
  kRespP,
  kConnProto,
  kConnState,
  kOrigPkts,
  kOrigIpBytes,
  kRespPkts,
  kRespIpBytes,
  kUid,
  kConnService,
  kDuration,
  kIpProto,  // Zeek 8: the IP protocol number, named when proto is unknown_transport
  kConnFieldCount
};
inline constexpr size_t kConnRequired = kUid;
std::vector<std::string> conn_field_names();

// Argus's state for a Zeek conn_state (the table in README.md). `type`/`code` are an ICMP
// flow's ports; `orig`/`resp` whether each side sent packets.
std::string argus_state(std::string_view conn_state, std::string_view argus_proto, bool orig,
                        bool resp, int64_t type, int64_t code);

// Fills the per-flow features and identity of `rec` from one row (not the ct_* window counts
// and not HTTP/FTP). A problem names the field: `bad_type` for a value that is not of its
// Zeek type, or a flow validation reason.
std::optional<flow::FieldProblem> conn_to_flow(const std::vector<flow::ZeekValue>& row,
                                               int link_header_bytes, flow::FlowRecord& rec);

// What http.log and ftp.log say about one connection.
struct AppCounts {
  int trans_depth = 0;            // http.log: deepest trans_depth
  int64_t response_body_len = 0;  // http.log: Σ response_body_len
  int http_methods = 0;           // http.log: transactions with a method
  int ftp_login = 0;              // ftp.log: 1 when a row names a logged-in user
  int ftp_commands = 0;           // ftp.log: commands logged
};
void apply_app_counts(const AppCounts& counts, flow::FlowRecord& rec);

}  // namespace flowsentry::stream
