// Argus 3.0.8's TCP model (argus/ArgusTcp.c: ArgusUpdateTCPState, ArgusUpdateTCPSequence,
// ArgusUpdateTCPStateMachine), ported statement by statement so that state, retransmissions
// (sloss/dloss), ISNs, synack/ackdat and the active/idle split of inter-packet times come out
// as Argus computes them, including its 32-bit sequence comparisons without wrap-around.
#pragma once

#include <cstdint>
#include <string_view>

#include "meter/decode.h"

namespace flowsentry::meter {

// Per-direction TCP metrics (struct ArgusTCPObjectMetrics).
struct TcpDirection {
  int64_t lasttime_us = 0;
  uint32_t status = 0;
  uint32_t seqbase = 0;
  uint32_t seq = 0;
  uint32_t ack = 0;
  uint32_t winnum = 0;
  uint32_t winbytes = 0;
  uint32_t bytes = 0;
  uint32_t retrans = 0;
  uint32_t win = 0;
  uint16_t last_ipid = 0;  // flowstr->sipid/dipid
  uint8_t flags = 0;
  uint8_t winshift = 0;
};

// What the caller must do after a packet.
enum class TcpVerdict : uint8_t {
  kContinue,
  kRestart,  // a new connection reuses the ports: close the record and start over with this packet
};

class TcpTracker {
 public:
  // The first packet of a record's flow (Argus ARGUS_START).
  void start(const DecodedPacket& p, bool from_src, int64_t now_us);
  // Any later packet. `in_protocol` is Argus's ArgusInProtocol after the packet (it decides
  // whether the inter-packet time counts as "active" or "idle" for sintpkt/sjit).
  TcpVerdict update(const DecodedPacket& p, bool from_src, int64_t now_us, bool& in_protocol);

  // Argus's state printout (clients common/argus_util.c ArgusGetTCPStatus), given whether
  // both directions carried packets.
  std::string_view state_name(bool both_directions) const;

  // A status record was sent and the connection goes on (ArgusUtil.c ArgusZeroRecord):
  // per-record counters restart, sequence bases move to the current sequence numbers, and
  // the reset/retransmission/window/out-of-order marks are cleared.
  void zero_record();

  const TcpDirection& src() const { return src_; }
  const TcpDirection& dst() const { return dst_; }
  int64_t synack_us() const { return synack_us_; }
  int64_t ackdat_us() const { return ackdat_us_; }
  bool closed() const;  // reached CLOSED or TIME_WAIT: Argus then times the flow out after 10 s

 private:
  bool update_sequence(const DecodedPacket& p, TcpDirection& s, TcpDirection& d, bool& in_proto);
  int update_state_machine(const DecodedPacket& p, TcpDirection& s, TcpDirection& d);

  TcpDirection src_;
  TcpDirection dst_;
  uint32_t status_ = 0;
  int state_ = 0;
  int64_t now_us_ = 0;
  int64_t synack_us_ = 0;
  int64_t ackdat_us_ = 0;
};

}  // namespace flowsentry::meter
