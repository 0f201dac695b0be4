// Flow summaries: the few fields of a flow the target-keyed detectors read (flood per target,
// ARP reply storm per MAC), in a compact binary form that workers publish and the alerter
// reads (about 45 bytes for an IPv4 flow, 57 for ARP). One message carries up to
// kMaxSummariesPerMessage summaries of one key:
//
//   message  = version:u8 (1)  count:varint  summary{count}
//   summary  = flags:u8  stime:f64  [dur:f32]  srcip:addr  dstip:addr  [sport:varint]
//              [dsport:varint]  proto:text  state:text  spkts dpkts sbytes dbytes:varint
//              [arp_sha:addr]  [arp_tha:addr]
//   addr     = 4 + 4 bytes | 6 + 16 bytes | 1 + 6 bytes (MAC) | 0 + text
//   text     = length:u8 + printable ASCII (at most 32 bytes)
//
// Numbers are little-endian; flags say which optional fields follow. Decoding checks every
// length and value, so a hostile message is refused with a reason, never read past its end.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/flow_record.h"

namespace flowsentry::detect {

inline constexpr size_t kMaxSummariesPerMessage = 512;

// Appends one flow's summary to `out` (a message body being built).
void encode_summary(const flow::FlowRecord& f, std::string& out);

// A message of `count` summaries already encoded back to back.
std::string summary_message(std::string_view summaries, size_t count);

// Decodes a message into `out` (appended). False with `reason` (a short metric label:
// empty, bad_version, truncated, bad_count, bad_flags, bad_address, bad_text, bad_number,
// trailing_bytes)
// when any part of it is malformed; `out` then keeps nothing from this message.
bool decode_summaries(std::string_view message, std::vector<flow::FlowRecord>& out,
                      std::string& reason);

}  // namespace flowsentry::detect
