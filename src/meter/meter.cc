#include "meter/meter.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace flowsentry::meter {
namespace {

enum TimeoutClass : uint8_t { kTcpOpen, kTcpClosed, kIp, kIcmp, kArp };

uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
  return h;
}

uint64_t load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  return v;
}

// MurmurHash3's 64-bit finaliser.
uint64_t fmix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDull;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ull;
  h ^= h >> 33;
  return h;
}

uint64_t address_hash(const Address& a, uint64_t seed) {
  return fmix((load64(a.data()) ^ seed) + (load64(a.data() + 8) * 0xC2B2AE3D27D4EB4Full));
}

uint64_t random_seed() {
  std::random_device rd;
  return (uint64_t{rd()} << 32) | rd();
}

bool is_icmp(uint8_t proto) {
  return proto == kProtoIcmp || proto == kProtoIcmpv6;
}

// Echo requests and replies (and the other query/reply pairs) share one flow, as in Argus.
uint8_t icmp_key_type(uint8_t proto, uint8_t type) {
  if (proto == kProtoIcmp) {
    switch (type) {
      case 0:
        return 8;
      case 14:
        return 13;
      case 16:
        return 15;
      case 18:
        return 17;
      default:
        return type;
    }
  }
  return type == 129 ? 128 : type;
}

bool icmp_has_id(uint8_t proto, uint8_t key_type) {
  if (proto == kProtoIcmp)
    return key_type == 8 || key_type == 13 || key_type == 15 || key_type == 17;
  return key_type == 128;
}

// ArgusCreateICMPFlow keys IPv4 errors by what they quote, so a scan's unreachables are one
// flow per closed port (port unreachable) or absent host (net/host unreachable, redirect).
void key_icmp_error(const DecodedPacket& p, FlowKey& k) {
  const bool quotes_dst =
      (p.icmp_type == 3 && p.icmp_code <= 1) || (p.icmp_type == 5 && p.icmp_code <= 1);
  if (p.icmp_type == 3 && p.icmp_code == 2) {
    k.dport = p.inner_proto;
  } else if (p.icmp_type == 3 && p.icmp_code == 3) {
    k.dport = p.inner_dport;
    k.extra = p.inner_proto;
  } else if (quotes_dst && p.inner_network == Network::kIpv4) {
    k.dport = static_cast<uint16_t>((p.inner_dst[0] << 8) | p.inner_dst[1]);
    k.extra = static_cast<uint16_t>((p.inner_dst[2] << 8) | p.inner_dst[3]);
  }
}

// Argus 3.0.8 never pairs the two directions of an IPv6 conversation between two ports of
// one address (::1 to itself): each direction is a flow of its own. IPv4 pairs them.
bool reverse_allowed(const FlowKey& k) {
  return k.network != Network::kIpv6 || k.src != k.dst;
}

}  // namespace

size_t FlowKeyHash::operator()(const FlowKey& k) const noexcept {
  uint64_t h = 0;
  h = mix(h, load64(k.src.data()));
  h = mix(h, load64(k.src.data() + 8));
  h = mix(h, load64(k.dst.data()));
  h = mix(h, load64(k.dst.data() + 8));
  h = mix(h, (uint64_t{k.extra} << 48) | (uint64_t{k.sport} << 32) | (uint64_t{k.dport} << 16) |
                 (uint64_t{k.proto} << 8) | static_cast<uint64_t>(k.network));
  return static_cast<size_t>(h);
}

uint32_t flow_hash(const FlowKey& k, uint64_t seed) {
  // Addresses and ports enter as unordered pairs: a key and its reverse hash alike.
  const uint64_t addrs = address_hash(k.src, seed) + address_hash(k.dst, seed);
  const uint64_t ports = (uint64_t{std::min(k.sport, k.dport)} << 16) | std::max(k.sport, k.dport);
  const uint64_t rest = (uint64_t{k.extra} << 32) | (uint64_t{k.proto} << 48) |
                        (uint64_t{static_cast<uint8_t>(k.network)} << 56);
  return static_cast<uint32_t>(fmix(addrs ^ seed ^ ((ports | rest) * 0x9E3779B97F4A7C15ull)) >> 32);
}

uint64_t MeterCounters::skipped_total() const {
  uint64_t n = 0;
  for (auto v : skipped) n += v;
  return n;
}

Meter::Meter(MeterSettings settings)
    : settings_(settings), ct_(settings.ct_window), seed_(random_seed()) {
  // Flow ids are 32-bit and the index holds at most 2^32 slots, half of them used.
  settings_.max_flows = std::min(settings_.max_flows, size_t{1} << 31);
  idle_head_.fill(kNoFlow);
  idle_tail_.fill(kNoFlow);
}

size_t Meter::bytes_per_flow() {
  // Flow state and its index slots at the index's sparsest (just after it doubled).
  return sizeof(FlowState) + FlowIndex::kMaxSlotsPerEntry * FlowIndex::kSlotBytes;
}

size_t Meter::memory_bytes() const {
  return flows_.capacity() * sizeof(FlowState) + index_.capacity() * FlowIndex::kSlotBytes +
         pending_recs_.size() * sizeof(flow::FlowRecord) +
         (free_.capacity() + free_recs_.capacity() + ready_.size()) * sizeof(uint32_t) +
         (pending_.size() + closing_.capacity()) * sizeof(Pending);
}

void Meter::add(const Packet& p) {
  settle_finish();
  ++counters_.packets;
  if (p.ts_us > now_us_) now_us_ = p.ts_us;
  // Records due at this packet's time go out before it is counted (argus -S 60 puts a packet
  // exactly 60 s after a record's start into the next record).
  sweep(now_us_);
  SkipReason r = decode_packet(p, scratch_);
  if (r != SkipReason::kNone) {
    ++counters_.skipped[static_cast<size_t>(r)];
  } else {
    ++counters_.metered;
    add_decoded(scratch_, p.ts_us, p.wirelen);
  }
  release(now_us_, false);
}

void Meter::advance(int64_t now_us) {
  settle_finish();
  if (now_us <= now_us_) return;
  now_us_ = now_us;
  sweep(now_us_);
  release(now_us_, false);
}

void Meter::add_decoded(const DecodedPacket& p, int64_t ts, uint32_t wirelen) {
  FlowKey k;
  k.src = p.src;
  k.dst = p.dst;
  k.proto = p.proto;
  k.network = p.network;
  FlowKey rk = k;
  rk.src = p.dst;
  rk.dst = p.src;
  if (is_icmp(p.proto)) {
    const uint8_t kt = icmp_key_type(p.proto, p.icmp_type);
    k.sport = rk.sport = static_cast<uint16_t>((kt << 8) | p.icmp_code);
    if (icmp_has_id(p.proto, kt)) {
      // Argus keys echo flows by id and sequence: each request/reply pair is one flow.
      k.dport = rk.dport = p.icmp_id;
      k.extra = rk.extra = p.icmp_seq;
    } else if (p.proto == kProtoIcmp && p.has_inner) {
      key_icmp_error(p, k);
      rk.dport = k.dport;
      rk.extra = k.extra;
    }
  } else if (p.network != Network::kArp) {
    k.sport = rk.dport = p.sport;
    k.dport = rk.sport = p.dport;
  }

  if (p.has_inner) mark_icmp_error(p, ts);

  bool from_src = true;
  bool created = false;
  uint32_t id = find_flow(k, rk, from_src);
  if (id == kNoFlow) {
    id = new_flow(k, ts);
    created = true;
  }
  FlowState* f = &flows_[id];
  if (created) {
    f->icmp_type = p.icmp_type;
    f->icmp_code = p.icmp_code;
    if (p.network == Network::kArp) {
      f->arp_sha = p.arp_sha;
      f->arp_tha = p.arp_tha;
    }
    if (p.proto == kProtoTcp && !ftp_data_expected_.empty()) {
      FlowKey e;
      e.dst = k.dst;
      e.dport = k.dport;
      e.network = k.network;
      if (auto it = ftp_data_expected_.find(e); it != ftp_data_expected_.end()) {
        f->ftp_data = true;
        ftp_data_expected_.erase(it);
      }
    }
  }

  bool in_protocol = true;
  if (p.proto == kProtoTcp && p.network != Network::kArp) {
    if (created) {
      f->tcp.start(p, true, ts);
    } else if (f->tcp.update(p, from_src, ts, in_protocol) == TcpVerdict::kRestart) {
      // A new connection on the same ports: Argus sends the old record and starts over with
      // the SYN's sender as the source.
      if (f->record_open) send_record(id);
      remove_flow(id);
      id = new_flow(k, ts);
      f = &flows_[id];
      f->tcp.start(p, true, ts);
      from_src = true;
      in_protocol = true;
    }
  }
  if (!f->record_open) start_record(id, ts);
  account(*f, p, from_src, ts, wirelen, in_protocol);
  if (!p.payload.empty() && p.network != Network::kArp) {
    FtpDataEndpoint src_ep{f->key.src, f->key.network == Network::kIpv6, 0};
    FtpDataEndpoint dst_ep{f->key.dst, f->key.network == Network::kIpv6, 0};
    if (auto ep = f->service.add_payload(p.payload, from_src, p.proto, src_ep, dst_ep)) {
      FlowKey e;
      e.dst = ep->addr;
      e.dport = ep->port;
      e.network = f->key.network;
      if (ftp_data_expected_.size() < 4096) ftp_data_expected_[e] = ts;
    }
  }
  idle_unlink(id);
  f->timeout_class = static_cast<uint8_t>(timeout_class(*f));
  idle_push(id);
}

// One probe sequence for both directions. A key and its reverse are never both tracked where
// reversing is allowed (a flow is only created when neither is), so the first match is the
// packet's flow.
uint32_t Meter::find_flow(const FlowKey& k, const FlowKey& rk, bool& from_src) const {
  const bool reverse = reverse_allowed(k);
  return index_.find(flow_hash(k, seed_), [&](uint32_t id) {
    const FlowKey& fk = flows_[id].key;
    if (fk == k) {
      from_src = true;
      return true;
    }
    if (reverse && fk == rk) {
      from_src = false;
      return true;
    }
    return false;
  });
}

void Meter::mark_icmp_error(const DecodedPacket& p, int64_t ts) {
  // ArgusIcmp.c: an unreachable, redirect or time exceeded that quotes a packet of a known
  // flow moves that flow's end time to the ICMP message's time (dur grows, counts do not).
  FlowKey k;
  k.src = p.inner_src;
  k.dst = p.inner_dst;
  k.sport = p.inner_sport;
  k.dport = p.inner_dport;
  k.proto = p.inner_proto;
  k.network = p.inner_network;
  const uint32_t id =
      index_.find(flow_hash(k, seed_), [&](uint32_t i) { return flows_[i].key == k; });
  if (id == kNoFlow) return;
  FlowState& f = flows_[id];
  if (f.record_open && ts > f.ltime_us) f.ltime_us = ts;
}

uint32_t Meter::new_flow(const FlowKey& key, int64_t ts) {
  if (index_.size() >= settings_.max_flows) {
    // Evict the flow idle the longest (the oldest head of the idle lists).
    uint32_t victim = kNoFlow;
    for (uint32_t h : idle_head_) {
      if (h != kNoFlow &&
          (victim == kNoFlow || flows_[h].last_seen_us < flows_[victim].last_seen_us)) {
        victim = h;
      }
    }
    if (victim != kNoFlow) {
      if (flows_[victim].record_open) send_record(victim);
      remove_flow(victim);
      ++counters_.evictions;
    }
  }
  uint32_t id;
  if (!free_.empty()) {
    id = free_.back();
    free_.pop_back();
    flows_[id] = FlowState{};
  } else {
    id = flows_.add();
  }
  FlowState& f = flows_[id];
  f.key = key;
  f.hash = flow_hash(key, seed_);
  f.in_use = true;
  f.last_seen_us = ts;
  index_.insert(f.hash, id);
  ++counters_.flows;
  return id;
}

void Meter::start_record(uint32_t id, int64_t ts) {
  FlowState& f = flows_[id];
  f.record_open = true;
  f.stime_us = ts;
  f.ltime_us = ts;
  f.s = DirState{};
  f.d = DirState{};
  start_push(id);
}

void Meter::account(FlowState& f, const DecodedPacket& p, bool from_src, int64_t ts,
                    uint32_t wirelen, bool in_protocol) {
  DirState& d = from_src ? f.s : f.d;
  if (d.pkts == 0) d.first_us = ts;
  ++d.pkts;
  d.bytes += wirelen;
  d.ttl = p.ttl;
  d.last_us = std::max(d.last_us, ts);
  f.ltime_us = std::max(f.ltime_us, ts);
  f.last_seen_us = ts;
  // ArgusTallyStats: the interval since this direction's previous packet, when time moved
  // forward and the gap is shorter than twice the status interval.
  int64_t& tick = from_src ? f.s_tick_us : f.d_tick_us;
  if (tick < ts) {
    if (tick > 0) {
      const int64_t interval = ts - tick;
      if (interval < 2 * settings_.status_interval_us) {
        (in_protocol ? d.act : d.idle).add(interval);
      }
    }
    tick = ts;
  }
}

void Meter::send_record(uint32_t id) {
  FlowState& f = flows_[id];
  uint32_t slot;
  if (!free_recs_.empty()) {
    slot = free_recs_.back();
    free_recs_.pop_back();
  } else {
    slot = static_cast<uint32_t>(pending_recs_.size());
    pending_recs_.emplace_back();
  }
  make_record(f, pending_recs_[slot]);
  pending_.push({f.ltime_us, pending_seq_++, slot});
  if (f.key.proto == kProtoTcp && f.key.network != Network::kArp) f.tcp.zero_record();
  f.record_open = false;
  f.first_record = false;
  start_unlink(id);
}

void Meter::remove_flow(uint32_t id) {
  detach_flow(id);
  free_flow(id);
}

// Out of the index and the lists; the state stays readable until free_flow().
void Meter::detach_flow(uint32_t id) {
  FlowState& f = flows_[id];
  index_.erase(f.hash, id);
  idle_unlink(id);
  start_unlink(id);
  f.in_use = false;
}

void Meter::free_flow(uint32_t id) {
  flows_[id].service = ServiceTracker{};
  free_.push_back(id);
}

int64_t Meter::timeout_of(const FlowState& f) const {
  switch (f.timeout_class) {
    case kTcpOpen:
      return settings_.tcp_timeout_us;
    case kTcpClosed:
      return settings_.tcp_closed_timeout_us;
    case kIcmp:
      return settings_.icmp_timeout_us;
    case kArp:
      return settings_.arp_timeout_us;
    default:
      return settings_.ip_timeout_us;
  }
}

int Meter::timeout_class(const FlowState& f) const {
  if (f.key.network == Network::kArp) return kArp;
  if (f.key.proto == kProtoTcp) return f.tcp.closed() ? kTcpClosed : kTcpOpen;
  if (is_icmp(f.key.proto)) return kIcmp;
  return kIp;
}

void Meter::sweep(int64_t now) {
  for (int c = 0; c < kTimeoutClasses; ++c) {
    while (idle_head_[c] != kNoFlow) {
      const uint32_t id = idle_head_[c];
      const FlowState& f = flows_[id];
      if (now - f.last_seen_us <= timeout_of(f)) break;
      if (f.record_open) send_record(id);
      remove_flow(id);
    }
  }
  while (start_head_ != kNoFlow &&
         now - flows_[start_head_].stime_us >= settings_.status_interval_us) {
    send_record(start_head_);
  }
}

void Meter::release(int64_t now, bool all) {
  // A record may go once no flow can still end before it: every open flow's next record ends
  // at or after its last packet, and the idle lists start with the oldest last packets.
  int64_t horizon = now;
  for (uint32_t h : idle_head_) {
    if (h != kNoFlow) horizon = std::min(horizon, flows_[h].last_seen_us);
  }
  while (!pending_.empty() && (all || pending_.top().ltime_us < horizon)) {
    const uint32_t slot = pending_.top().slot;
    pending_.pop();
    ct_.apply(pending_recs_[slot]);
    ready_.push_back(slot);
    ++counters_.records;
  }
}

void Meter::finish() {
  settle_finish();
  // Record sequence numbers follow record start order, so equal last times keep a stable order.
  for (uint32_t id = start_head_; id != kNoFlow; id = flows_[id].start_next) {
    closing_.push_back({flows_[id].ltime_us, pending_seq_++, id});
  }
  std::sort(closing_.begin(), closing_.end(),
            [](const Pending& a, const Pending& b) { return PendingLater{}(b, a); });
  for (uint32_t id = 0; id < flows_.size(); ++id) {
    if (!flows_[id].in_use) continue;
    const bool closing = flows_[id].record_open;
    detach_flow(id);
    if (!closing) free_flow(id);  // the closing ones are freed once their record is made
  }
  ftp_data_expected_.clear();
  // Every record is released now (counted here); take() hands them over in order.
  counters_.records += pending_.size() + closing_.size();
  finishing_ = true;
}

// Makes the records finish() left to take() at once (input after finish(), or a second one).
void Meter::settle_finish() {
  if (!finishing_) return;
  for (; closing_next_ < closing_.size(); ++closing_next_) {
    const Pending& c = closing_[closing_next_];
    uint32_t slot;
    if (!free_recs_.empty()) {
      slot = free_recs_.back();
      free_recs_.pop_back();
    } else {
      slot = static_cast<uint32_t>(pending_recs_.size());
      pending_recs_.emplace_back();
    }
    make_record(flows_[c.slot], pending_recs_[slot]);
    pending_.push({c.ltime_us, c.seq, slot});
    free_flow(c.slot);
  }
  closing_.clear();
  closing_next_ = 0;
  finishing_ = false;
  counters_.records -= pending_.size();  // counted by finish(), counted again by release()
  release(now_us_, true);
}

size_t Meter::take(std::vector<flow::FlowRecord>& out, size_t max) {
  size_t n = 0;
  for (; n < max && !ready_.empty(); ++n) {
    const uint32_t slot = ready_.front();
    ready_.pop_front();
    out.push_back(std::move(pending_recs_[slot]));
    free_recs_.push_back(slot);
  }
  return finishing_ ? n + take_finishing(out, max - n) : n;
}

// After finish(): merges the records waiting in `pending_` with those of the closing flows,
// making the latter on the way, in (last time, sequence) order.
size_t Meter::take_finishing(std::vector<flow::FlowRecord>& out, size_t max) {
  size_t n = 0;
  for (; n < max; ++n) {
    const bool closing_left = closing_next_ < closing_.size();
    if (pending_.empty() && !closing_left) break;
    if (!pending_.empty() &&
        (!closing_left || PendingLater{}(closing_[closing_next_], pending_.top()))) {
      const uint32_t slot = pending_.top().slot;
      pending_.pop();
      ct_.apply(pending_recs_[slot]);
      out.push_back(std::move(pending_recs_[slot]));
      free_recs_.push_back(slot);
    } else {
      const uint32_t id = closing_[closing_next_++].slot;
      flow::FlowRecord& r = out.emplace_back();
      make_record(flows_[id], r);
      ct_.apply(r);
      free_flow(id);
    }
  }
  if (pending_.empty() && closing_next_ == closing_.size()) {
    closing_ = {};
    closing_next_ = 0;
    finishing_ = false;
  }
  return n;
}

void Meter::idle_unlink(uint32_t id) {
  FlowState& f = flows_[id];
  const int c = f.timeout_class;
  if (f.idle_prev == kNoFlow && idle_head_[c] != id) return;  // not linked
  if (f.idle_prev != kNoFlow) {
    flows_[f.idle_prev].idle_next = f.idle_next;
  } else {
    idle_head_[c] = f.idle_next;
  }
  if (f.idle_next != kNoFlow) {
    flows_[f.idle_next].idle_prev = f.idle_prev;
  } else {
    idle_tail_[c] = f.idle_prev;
  }
  f.idle_prev = f.idle_next = kNoFlow;
}

void Meter::idle_push(uint32_t id) {
  FlowState& f = flows_[id];
  const int c = f.timeout_class;
  f.idle_prev = idle_tail_[c];
  f.idle_next = kNoFlow;
  if (idle_tail_[c] != kNoFlow) {
    flows_[idle_tail_[c]].idle_next = id;
  } else {
    idle_head_[c] = id;
  }
  idle_tail_[c] = id;
}

void Meter::start_unlink(uint32_t id) {
  FlowState& f = flows_[id];
  if (f.start_prev == kNoFlow && start_head_ != id) return;
  if (f.start_prev != kNoFlow) {
    flows_[f.start_prev].start_next = f.start_next;
  } else {
    start_head_ = f.start_next;
  }
  if (f.start_next != kNoFlow) {
    flows_[f.start_next].start_prev = f.start_prev;
  } else {
    start_tail_ = f.start_prev;
  }
  f.start_prev = f.start_next = kNoFlow;
}

void Meter::start_push(uint32_t id) {
  FlowState& f = flows_[id];
  f.start_prev = start_tail_;
  f.start_next = kNoFlow;
  if (start_tail_ != kNoFlow) {
    flows_[start_tail_].start_next = id;
  } else {
    start_head_ = id;
  }
  start_tail_ = id;
}

}  // namespace flowsentry::meter
