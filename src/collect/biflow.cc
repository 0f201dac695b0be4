#include "collect/biflow.h"

#include <algorithm>

namespace flowsentry::collect {
namespace {

// ICMP echo request and reply (v4 8/0, v6 128/129) are one conversation: key them alike.
uint16_t icmp_pair_port(const ExportRecord& r) {
  const int type = r.dport >> 8;
  if (r.proto == kProtoIcmp && (type == 8 || type == 0)) return 8 << 8;
  if (r.proto == kProtoIcmpV6 && (type == 128 || type == 129)) return 128 << 8;
  return r.dport;
}

}  // namespace

size_t BiflowPairer::KeyHash::operator()(const Key& k) const {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  for (size_t i = 0; i < 16; ++i) mix(static_cast<uint64_t>(k.src[i]) << 8 | k.dst[i]);
  mix(static_cast<uint64_t>(k.sport) << 24 | static_cast<uint64_t>(k.dport) << 8 | k.proto);
  return static_cast<size_t>(h);
}

BiflowPairer::Key BiflowPairer::key_of(const ExportRecord& r, bool reversed) {
  Key k;
  k.proto = r.proto;
  const bool icmp = r.proto == kProtoIcmp || r.proto == kProtoIcmpV6;
  const uint16_t dport = icmp ? icmp_pair_port(r) : r.dport;
  k.src = reversed ? r.dst : r.src;
  k.dst = reversed ? r.src : r.dst;
  k.sport = icmp ? dport : (reversed ? dport : r.sport);
  k.dport = icmp ? dport : (reversed ? r.sport : dport);
  return k;
}

void BiflowPairer::leave_one_way(ExportRecord r, std::vector<ExportRecord>& out) {
  r.biflow = true;  // a biflow whose reverse direction is empty
  out.push_back(r);
  ++counters_.one_way;
}

void BiflowPairer::add(const ExportRecord& r, int64_t now_us, std::vector<ExportRecord>& out) {
  if (r.biflow) {
    ++counters_.biflows_in;
    out.push_back(r);
    return;
  }
  if (settings_.window_us <= 0) {
    out.push_back(r);
    ++counters_.one_way;
    return;
  }
  auto rev = waiting_.find(key_of(r, true));
  if (rev != waiting_.end()) {
    const ExportRecord& w = rev->second.rec;
    const int64_t win = settings_.window_us;
    if (r.start_us <= w.end_us + win && w.start_us <= r.end_us + win) {
      // The earlier start is the source (the client, as Argus takes the first packet's sender).
      const bool w_first = w.start_us <= r.start_us;
      ExportRecord b = w_first ? w : r;
      const ExportRecord& other = w_first ? r : w;
      b.rev_packets = other.packets;
      b.rev_bytes = other.bytes;
      b.rev_tcp_flags = other.tcp_flags;
      b.start_us = std::min(w.start_us, r.start_us);
      b.end_us = std::max(w.end_us, r.end_us);
      b.biflow = true;
      waiting_.erase(rev);
      out.push_back(b);
      ++counters_.paired;
      return;
    }
  }
  const Key key = key_of(r, false);
  auto same = waiting_.find(key);
  if (same != waiting_.end()) {  // a later record of the same direction: the first one is done
    leave_one_way(same->second.rec, out);
    waiting_.erase(same);
  }
  if (waiting_.size() >= settings_.max_waiting) {
    while (!arrivals_.empty() && waiting_.size() >= settings_.max_waiting) {
      auto [t, ks] = arrivals_.front();
      arrivals_.pop_front();
      auto it = waiting_.find(ks.first);
      if (it != waiting_.end() && it->second.seq == ks.second) {
        leave_one_way(it->second.rec, out);
        waiting_.erase(it);
        ++counters_.pushed_out;
      }
    }
  }
  waiting_[key] = {r, ++seq_};
  arrivals_.push_back({now_us, {key, seq_}});
  // Paired records leave their arrival entry behind; drop those before they outgrow the table.
  if (arrivals_.size() > 2 * settings_.max_waiting + 1024) {
    std::erase_if(arrivals_, [this](const auto& a) {
      auto it = waiting_.find(a.second.first);
      return it == waiting_.end() || it->second.seq != a.second.second;
    });
  }
}

void BiflowPairer::expire(int64_t now_us, std::vector<ExportRecord>& out) {
  while (!arrivals_.empty() && now_us - arrivals_.front().first >= settings_.window_us) {
    auto [t, ks] = arrivals_.front();
    arrivals_.pop_front();
    auto it = waiting_.find(ks.first);
    if (it != waiting_.end() && it->second.seq == ks.second) {
      leave_one_way(it->second.rec, out);
      waiting_.erase(it);
    }
  }
}

void BiflowPairer::flush(std::vector<ExportRecord>& out) {
  // In arrival order, so output order does not depend on the hash table.
  for (const auto& [t, ks] : arrivals_) {
    auto it = waiting_.find(ks.first);
    if (it != waiting_.end() && it->second.seq == ks.second) {
      leave_one_way(it->second.rec, out);
      waiting_.erase(it);
    }
  }
  arrivals_.clear();
}

}  // namespace flowsentry::collect
