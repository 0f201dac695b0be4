#include "meter/tcp_tracker.h"

namespace flowsentry::meter {
namespace {

// BSD TCP states as Argus uses them.
enum : int {
  kClosed = 0,
  kListen = 1,
  kSynSent = 2,
  kSynReceived = 3,
  kEstablished = 4,
  kCloseWait = 5,
  kFinWait1 = 6,
  kClosing = 7,
  kLastAck = 8,
  kFinWait2 = 9,
  kTimeWait = 10,
};

// Argus status bits (only their identity matters here).
constexpr uint32_t kSawSyn = 1u << 0;
constexpr uint32_t kSawSynSent = 1u << 1;
constexpr uint32_t kConEstablished = 1u << 2;
constexpr uint32_t kFin = 1u << 3;
constexpr uint32_t kFinAck = 1u << 4;
constexpr uint32_t kNormalClose = 1u << 5;
constexpr uint32_t kReset = 1u << 6;
constexpr uint32_t kPktsRetrans = 1u << 7;
constexpr uint32_t kOutOfOrder = 1u << 8;
constexpr uint32_t kWindowShut = 1u << 9;

// RFC 7323 caps the window scale at 14; larger values (seen in fuzzed and hostile traffic)
// would shift a 32-bit window by 32 or more.
uint8_t window_shift(int scale) {
  return static_cast<uint8_t>(scale > 14 ? 14 : scale);
}

}  // namespace

void TcpTracker::start(const DecodedPacket& p, bool from_src, int64_t now_us) {
  *this = TcpTracker{};
  TcpDirection& s = from_src ? src_ : dst_;
  TcpDirection& d = from_src ? dst_ : src_;
  const TcpHeader& t = p.tcp;
  const uint32_t len = p.l4_payload_len;
  if (t.window_scale >= 0) s.winshift = window_shift(t.window_scale);
  if (t.flags & kTcpRst) {
    status_ |= kReset;
    s.status |= kReset;
    state_ = kListen;
    s.bytes += len;
    s.flags |= t.flags;
    if (t.seq) {
      s.seqbase = t.seq - 1;
      s.seq = t.seq + len;
    } else {
      s.seqbase = t.ack - 1;
      s.seq = t.ack - 1;
    }
    d.ack = t.ack - 1;
    s.lasttime_us = now_us;
    return;
  }
  switch (t.flags & (kTcpSyn | kTcpAck | kTcpFin | kTcpPush | kTcpUrg)) {
    case kTcpSyn:
      status_ |= kSawSyn;
      state_ = kSynSent;
      s.bytes += len;
      s.seqbase = t.seq;
      s.seq = t.seq;
      s.win = t.win;
      s.flags |= t.flags;
      s.status |= kSawSyn;
      break;
    case kTcpSyn | kTcpAck:
    case kTcpSyn | kTcpAck | kTcpPush:
    case kTcpSyn | kTcpAck | kTcpPush | kTcpUrg:
      status_ |= kSawSynSent;
      state_ = kSynReceived;
      s.bytes += len;
      s.seqbase = t.seq;
      s.seq = t.seq;
      s.win = t.win;
      s.flags |= t.flags;
      s.status |= kSawSynSent;
      d.ack = t.ack - 1;
      break;
    case kTcpAck:
    case kTcpPush | kTcpAck:
    case kTcpUrg | kTcpAck:
    case kTcpPush | kTcpUrg | kTcpAck:
      d.ack = t.ack - 1;
      [[fallthrough]];
    case kTcpPush:
    case kTcpUrg:
    case kTcpPush | kTcpUrg:
      status_ |= kConEstablished;
      state_ = kEstablished;
      s.bytes += len;
      s.flags |= t.flags;
      s.seqbase = t.seq - 1;
      s.seq = t.seq + len;
      s.win = t.win;
      s.status |= kConEstablished;
      break;
    case kTcpFin:
    case kTcpFin | kTcpAck:
    case kTcpFin | kTcpAck | kTcpUrg:
    case kTcpFin | kTcpAck | kTcpPush:
    case kTcpFin | kTcpAck | kTcpPush | kTcpUrg:
      status_ |= kFin;
      state_ = kFinWait1;
      s.bytes += len;
      s.flags |= t.flags;
      s.seqbase = t.seq - 1;
      s.seq = t.seq + len;
      s.win = t.win;
      s.status |= kFin;
      break;
    default:
      status_ |= kConEstablished;
      state_ = kEstablished;
      s.bytes += len;
      s.flags |= t.flags;
      s.seqbase = t.seq - 1;
      s.seq = t.seq + len;
      s.win = t.win;  // RST was handled above
      s.status |= kConEstablished;
      break;
  }
  s.lasttime_us = now_us;
}

TcpVerdict TcpTracker::update(const DecodedPacket& p, bool from_src, int64_t now_us,
                              bool& in_protocol) {
  TcpDirection& s = from_src ? src_ : dst_;
  TcpDirection& d = from_src ? dst_ : src_;
  const uint8_t flags = p.tcp.flags;
  switch (state_) {
    case kCloseWait:
    case kFinWait1:
    case kClosing:
    case kLastAck:
    case kFinWait2:
    case kTimeWait:
    case kListen:
      if (flags == kTcpSyn) return TcpVerdict::kRestart;
      break;
    default:
      break;
  }
  now_us_ = now_us;
  if (p.tcp.window_scale >= 0) s.winshift = window_shift(p.tcp.window_scale);
  s.flags |= flags;
  if (update_sequence(p, s, d, in_protocol)) {
    switch (update_state_machine(p, s, d)) {
      case kListen:
        if (flags == kTcpSyn) return TcpVerdict::kRestart;
        break;
      case kClosed:
      case kTimeWait:
        if (!(status_ & kReset)) status_ |= kNormalClose;
        break;
      default:
        break;
    }
  }
  s.lasttime_us = now_us;
  return TcpVerdict::kContinue;
}

bool TcpTracker::update_sequence(const DecodedPacket& p, TcpDirection& s, TcpDirection& d,
                                 bool& in_proto) {
  const TcpHeader& t = p.tcp;
  const uint8_t flags = t.flags;
  const uint32_t len = p.l4_payload_len;
  const uint32_t seq = t.seq;
  const uint32_t newseq = seq + len;
  uint32_t maxseq = 0;

  if (flags == kTcpSyn) return true;  // "we started over"

  in_proto = true;
  if (!t.win && !(flags & (kTcpFin | kTcpRst))) {
    s.status |= kWindowShut;
    in_proto = false;
  } else if (!(flags & (kTcpFin | kTcpRst))) {
    s.win = t.win;
  }

  if (len && d.win != 0) {
    s.bytes += len;
    if (s.winbytes == 0) in_proto = false;
    if (s.flags & kTcpFin) {
      if (seq < s.seq) {
        s.retrans++;
        s.status |= kPktsRetrans;
      } else if (!(flags & kTcpFin)) {
        s.status |= kOutOfOrder;
      }
    }
    if (!(flags & kTcpSyn)) s.winbytes += len;
  } else {
    in_proto = false;
  }

  if (newseq < seq) {  // rolled over
    s.seqbase = newseq;
    s.seq = newseq;
  } else if (!s.seqbase) {  // first packet in this direction
    s.seqbase = seq;
    s.seq = newseq;
  } else if (len) {
    if (d.win != 0) {  // not the first packet seen in this direction
      if (seq < d.ack) {
        if ((d.ack - seq) < (s.win >> s.winshift)) {
          s.retrans++;
          s.status |= kPktsRetrans;
          s.winbytes -= len;
          in_proto = false;
        }
      } else {
        maxseq = newseq > s.seq ? newseq : s.seq;
        if (s.win) {
          // Argus keeps ip_id as read from the header (network order) in an unsigned short.
          const int dipid = int{p.ip_id_raw} - int{s.last_ipid};
          if (dipid < 0 && dipid > -5000) {
            s.status |= kOutOfOrder;
          } else if (s.winbytes > ((maxseq - 1) - d.ack)) {
            s.retrans++;
            s.status |= kPktsRetrans;
            s.winbytes -= len;
            in_proto = false;
          } else if (newseq < s.seq) {
            if (seq == d.ack + 1) {
              s.retrans++;
              s.status |= kPktsRetrans;
              s.winbytes -= len;
            } else {
              s.status |= kOutOfOrder;
            }
          }
        }
        s.seq = maxseq;
      }
    }
    s.last_ipid = p.ip_id_raw;
  }

  if (t.ack && (flags & kTcpAck)) {
    if (s.ack) {
      if (d.seq > s.ack) d.winbytes = (d.seq - 1) - s.ack;
    }
    if (!(s.ack == t.ack - 1)) {
      if (!s.ack || d.seq == t.ack) {
        d.winbytes = 0;
        if (d.seq == t.ack) d.winnum++;
      } else if (!(flags & kTcpSyn) && s.ack) {
        uint32_t win = (t.ack - 1) - s.ack;
        win = d.winbytes < win ? d.winbytes : win;
        d.winbytes -= win;
        d.winnum++;
      }
      s.ack = t.ack - 1;
    }
  }
  return true;
}

int TcpTracker::update_state_machine(const DecodedPacket& p, TcpDirection& s, TcpDirection& d) {
  const uint8_t flags = p.tcp.flags & (kTcpSyn | kTcpAck | kTcpRst | kTcpFin);
  const uint32_t len = p.l4_payload_len;
  int state = state_;
  if (flags & kTcpRst) {
    status_ |= kReset;
    s.status |= kReset;
    if (state == kSynSent) {
      state = d.seq == s.ack ? kListen : kClosing;
    } else {
      // Argus compares in int arithmetic on unsigned values: keep it unsigned, as it is.
      state =
          (p.tcp.seq >= s.ack && p.tcp.seq < s.ack + (s.win >> s.winshift)) ? kClosed : kClosing;
    }
  } else {
    switch (state) {
      case kListen:
      case kSynSent:
        if (flags == kTcpSyn) {
          s.status |= kPktsRetrans;
          s.retrans++;
        } else if (flags == (kTcpSyn | kTcpAck)) {
          if (s.status & kSawSyn) {
            state = kListen;
            status_ |= kSawSynSent;
            s.status |= kSawSynSent;
          } else {
            state = kSynReceived;
            status_ |= kSawSynSent;
            s.status |= kSawSynSent;
            if (d.seq == s.ack) synack_us_ = now_us_ - d.lasttime_us;
          }
        } else if (flags & kTcpFin) {
          state = kFinWait1;
          status_ |= kFin;
          s.status |= kFin;
        } else if (flags & kTcpAck) {
          state = kEstablished;
          status_ |= kConEstablished;
          s.status |= kConEstablished;
        }
        break;
      case kSynReceived:
        if (flags & kTcpFin) {
          state = kFinWait1;
          status_ |= kFin;
          s.status |= kFin;
        } else if (!(flags & kTcpSyn)) {
          if (flags & kTcpAck) {
            state = kEstablished;
            status_ |= kConEstablished;
            s.status |= kConEstablished;
            if (s.seq == d.ack) ackdat_us_ = now_us_ - d.lasttime_us;
          }
        } else {
          if ((flags & kTcpAck) && (status_ & kSawSyn)) {
            s.status |= kPktsRetrans;
          } else {
            s.status |= kOutOfOrder;
          }
          status_ |= kSawSyn;
          s.status |= kSawSyn;
        }
        break;
      case kEstablished:
        if (flags & kTcpFin) {
          state = kFinWait1;
          status_ |= kFin;
          s.status |= kFin;
        } else if (flags & kTcpSyn) {
          if (flags & kTcpAck) status_ |= kSawSynSent | kConEstablished;
          s.status |= kPktsRetrans;
          s.retrans++;
        }
        break;
      case kCloseWait:
      case kFinWait1:
      case kLastAck:
      case kFinWait2:
        if ((state == kCloseWait || state == kFinWait1) && (flags & kTcpSyn) &&
            !(flags & kTcpAck)) {
          state = kListen;
          break;
        }
        if (flags & kTcpFin) {
          if (!(flags & kTcpAck)) {
            if (d.status & kFinAck) {
              s.status |= kPktsRetrans;
              s.retrans++;
            }
          } else {
            status_ |= kFin;
            s.status |= kFin;
          }
        }
        if ((flags & kTcpAck) && !len) {
          if ((d.status & kFin) && d.seq == s.ack) {
            state = kFinWait2;
            status_ |= kFinAck;
            d.status |= kFinAck;
          }
        }
        break;
      case kClosing:
      case kTimeWait:
        if ((flags & kTcpSyn) && !(flags & kTcpAck)) {
          state = kListen;
        } else if ((flags & kTcpAck) && s.seq == s.ack && d.seq == s.ack) {
          state = kClosed;
        }
        break;
      case kClosed:
        if ((flags & kTcpSyn) && !(flags & kTcpAck)) state = kListen;
        break;
      default:
        break;
    }
  }
  if (state != kListen) state_ = state;
  return state;
}

void TcpTracker::zero_record() {
  constexpr uint32_t kMask = ~(kReset | kPktsRetrans | kWindowShut | kOutOfOrder);
  status_ &= kMask;
  for (TcpDirection* d : {&src_, &dst_}) {
    d->status &= kMask;
    d->retrans = 0;
    d->flags = 0;
    d->bytes = 0;
    d->winbytes = 0;
    d->seqbase = d->seq;
  }
}

bool TcpTracker::closed() const {
  return state_ == kClosed || state_ == kTimeWait;
}

std::string_view TcpTracker::state_name(bool both_directions) const {
  if (status_ == 0) return both_directions ? "CON" : "INT";
  if (status_ & kReset) return "RST";
  if (status_ & (kFin | kFinAck)) return "FIN";
  if (status_ & kNormalClose) return "CLO";
  if (status_ & kConEstablished) return "CON";
  if (status_ & kSawSynSent) return "ACC";
  if (status_ & kSawSyn) return "REQ";
  return "CON";
}

}  // namespace flowsentry::meter
