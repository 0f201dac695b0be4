#include "collect/decoder.h"

#include <algorithm>
#include <cstring>

namespace flowsentry::collect {
namespace {

constexpr size_t kV5Header = 24;
constexpr size_t kV5Record = 48;
constexpr size_t kV9Header = 20;
constexpr size_t kIpfixHeader = 16;
constexpr int64_t kNtpToUnixSeconds = 2208988800;

uint16_t u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] << 8 | p[1]);
}
uint32_t u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}
// Unsigned integers of 1..8 bytes (IPFIX reduced-size encoding, RFC 7011 6.2).
uint64_t uint_n(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = v << 8 | p[i];
  return v;
}

int64_t ntp_to_us(uint64_t ntp) {
  const int64_t secs = static_cast<int64_t>(ntp >> 32) - kNtpToUnixSeconds;
  const int64_t frac_us = static_cast<int64_t>(((ntp & 0xffffffffu) * 1'000'000) >> 32);
  return secs * 1'000'000 + frac_us;
}

// The raw time fields of one record, resolved into start/end once the record is read.
struct Times {
  int64_t start_abs_us = 0, end_abs_us = 0;
  bool has_start_abs = false, has_end_abs = false;
  uint32_t start_up = 0, end_up = 0;
  bool has_start_up = false, has_end_up = false;
  int64_t sys_init_ms = 0;
  bool has_sys_init = false;
};

struct Fields {
  bool has_src = false, has_dst = false;
  bool has_icmp = false;
  uint16_t icmp = 0;
};

}  // namespace

std::string_view decode_error_name(DecodeError e) {
  switch (e) {
    case DecodeError::kTooShort:
      return "too_short";
    case DecodeError::kBadVersion:
      return "bad_version";
    case DecodeError::kBadLength:
      return "bad_length";
    case DecodeError::kBadSetLength:
      return "bad_set_length";
    case DecodeError::kBadTemplate:
      return "bad_template";
    case DecodeError::kTemplateLimit:
      return "template_limit";
    case DecodeError::kSessionLimit:
      return "session_limit";
    case DecodeError::kUnknownTemplate:
      return "unknown_template";
    case DecodeError::kPendingDropped:
      return "pending_dropped";
    case DecodeError::kTruncatedRecord:
      return "truncated_record";
    case DecodeError::kMissingAddress:
      return "missing_address";
    case DecodeError::kCount:
      break;
  }
  return "unknown";
}

uint64_t DecoderCounters::error_total() const {
  uint64_t n = 0;
  for (auto e : errors) n += e;
  return n;
}

size_t Decoder::SessionKeyHash::operator()(const SessionKey& k) const {
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 1099511628211ull; };
  for (auto b : k.addr) mix(b);
  mix(k.version);
  mix(k.domain);
  return static_cast<size_t>(h);
}

Decoder::Decoder(DecoderLimits limits) : limits_(limits) {}

size_t Decoder::templates_active() const {
  size_t n = 0;
  for (const auto& [key, s] : sessions_) n += s.templates.size();
  return n;
}

Decoder::Session* Decoder::session(const SessionKey& key) {
  auto it = sessions_.find(key);
  if (it != sessions_.end()) return &it->second;
  if (sessions_.size() >= limits_.max_sessions) {
    count(DecodeError::kSessionLimit);
    return nullptr;
  }
  return &sessions_.emplace(key, Session(limits_.max_templates)).first->second;
}

// The session, its sequence numbering restarted when the datagram comes from another port.
Decoder::Session* Decoder::session_from_port(const SessionKey& key) {
  Session* s = session(key);
  if (s && s->port != port_) {
    s->port = port_;
    s->seq_known = false;
    s->mode = -1;
  }
  return s;
}

void Decoder::decode(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> d,
                     std::vector<ExportRecord>& out, uint16_t port) {
  ++counters_.datagrams;
  port_ = port;
  if (d.size() < 2) return count(DecodeError::kTooShort);
  switch (u16(d.data())) {
    case 5:
      return decode_v5(exporter, d, out);
    case 9:
      return decode_templated(exporter, d, false, out);
    case 10:
      return decode_templated(exporter, d, true, out);
    default:
      return count(DecodeError::kBadVersion);
  }
}

// v5 and IPFIX number records, v9 numbers datagrams. RFC 7011 numbers the records sent before
// a message; softflowd numbers them after it, and counts no options records. The first
// numbering that fits an exporter is kept for it (and changed when another one fits a later
// message); gaps against it are lost records. A number
// already passed is a reordered datagram; a jump of more than 2^30 an exporter restart.
void Decoder::check_sequence(Session& s, uint32_t seq, uint32_t all, uint32_t flows,
                             bool counts_known, bool per_datagram) {
  if (s.seq_known) {
    const std::array<uint32_t, 4> expected{s.last_seq + s.last_all, s.last_seq + s.last_flow,
                                           s.last_seq + all, s.last_seq + flows};
    // Counts can make two numberings agree for a while; a later message tells them apart.
    const bool fits = s.mode >= 0 && seq == expected[s.mode];
    for (int m = 0; m < 4 && !fits; ++m) {
      if (seq == expected[m]) {
        s.mode = m;
        break;
      }
    }
    const auto gap = static_cast<int32_t>(seq - expected[s.mode < 0 ? 0 : s.mode]);
    if (gap < 0 && gap > -(1 << 30)) {
      ++counters_.out_of_order;
      return;
    }
    if (gap > 0 && gap < (1 << 30)) {
      (per_datagram ? counters_.lost_datagrams : counters_.lost_records) +=
          static_cast<uint64_t>(gap);
    }
  }
  s.last_seq = seq;
  s.last_all = all;
  s.last_flow = flows;
  s.seq_known = counts_known;
}

void Decoder::decode_v5(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> d,
                        std::vector<ExportRecord>& out) {
  if (d.size() < kV5Header) return count(DecodeError::kTooShort);
  const uint8_t* h = d.data();
  size_t n = u16(h + 2);
  if (n > 30 || kV5Header + n * kV5Record != d.size()) {
    count(n > 30 ? DecodeError::kBadLength : DecodeError::kTruncatedRecord);
    n = std::min<size_t>(n, (d.size() - kV5Header) / kV5Record);
  }
  SessionKey key{exporter, 5, static_cast<uint32_t>(u16(h + 20))};  // engine type and id
  Session* s = session_from_port(key);
  if (!s) return;
  check_sequence(*s, u32(h + 16), static_cast<uint32_t>(n), static_cast<uint32_t>(n), true, false);
  const uint32_t uptime = u32(h + 4);
  const int64_t export_us = static_cast<int64_t>(u32(h + 8)) * 1'000'000 + u32(h + 12) / 1000;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = h + kV5Header + i * kV5Record;
    ExportRecord r;
    std::memcpy(r.src.data(), p, 4);
    std::memcpy(r.dst.data(), p + 4, 4);
    r.packets = u32(p + 16);
    r.bytes = u32(p + 20);
    r.start_us =
        export_us - static_cast<int64_t>(static_cast<int32_t>(uptime - u32(p + 24))) * 1000;
    r.end_us = export_us - static_cast<int64_t>(static_cast<int32_t>(uptime - u32(p + 28))) * 1000;
    r.end_us = std::max(r.end_us, r.start_us);
    r.sport = u16(p + 32);
    r.dport = u16(p + 34);
    r.tcp_flags = p[37];
    r.proto = p[38];
    r.version = 5;
    if (r.proto == kProtoIcmp) r.sport = 0;
    out.push_back(r);
  }
  counters_.records[0] += n;
}

void Decoder::decode_templated(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> d,
                               bool ipfix, std::vector<ExportRecord>& out) {
  const size_t header = ipfix ? kIpfixHeader : kV9Header;
  if (d.size() < header) return count(DecodeError::kTooShort);
  const uint8_t* h = d.data();
  if (ipfix) {
    // The message length must be the datagram's; trailing bytes or a short datagram are bad.
    if (u16(h + 2) != d.size()) return count(DecodeError::kBadLength);
  }
  TimeBase time;
  uint32_t seq = 0;
  SessionKey key{exporter, static_cast<uint8_t>(ipfix ? 10 : 9), 0};
  if (ipfix) {
    time.export_us = static_cast<int64_t>(u32(h + 4)) * 1'000'000;
    seq = u32(h + 8);
    key.domain = u32(h + 12);
  } else {
    time.uptime_ms = u32(h + 4);
    time.has_uptime = true;
    time.export_us = static_cast<int64_t>(u32(h + 8)) * 1'000'000;
    seq = u32(h + 12);
    key.domain = u32(h + 16);
  }
  Session* s = session_from_port(key);
  if (!s) return;
  uint32_t all_records = 0, flow_records = 0;
  bool all_known = true;
  for (size_t pos = header; pos + 4 <= d.size();) {
    const uint16_t id = u16(h + pos);
    const size_t len = u16(h + pos + 2);
    if (len < 4 || pos + len > d.size()) {
      count(DecodeError::kBadSetLength);
      all_known = false;
      break;
    }
    auto set = d.subspan(pos + 4, len - 4);
    pos += len;
    const uint16_t template_set = ipfix ? 2 : 0;
    const uint16_t options_set = ipfix ? 3 : 1;
    if (id == template_set || id == options_set) {
      read_templates(key, *s, set, ipfix, id == options_set, out);
    } else if (id >= 256) {
      if (const Template* t = s->templates.find(id)) {
        const auto n = static_cast<uint32_t>(read_data(*t, set, time, key.version, out));
        all_records += n;
        flow_records += t->options ? 0 : n;
      } else {
        count(DecodeError::kUnknownTemplate);
        buffer_pending(key, id, time, set);
        all_known = false;
      }
    }
    // Set ids 4..255 are reserved: skipped.
  }
  if (ipfix) {
    check_sequence(*s, seq, all_records, flow_records, all_known, false);
  } else {
    check_sequence(*s, seq, 1, 1, true, true);
  }
}

bool Decoder::read_template_fields(std::span<const uint8_t> set, size_t& pos, size_t n, bool ipfix,
                                   Template& t) {
  t.fields.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    if (pos + 4 > set.size()) return false;
    uint16_t id = u16(set.data() + pos);
    const uint16_t len = u16(set.data() + pos + 2);
    pos += 4;
    uint32_t pen = 0;
    if (ipfix && (id & 0x8000) != 0) {
      if (pos + 4 > set.size()) return false;
      pen = u32(set.data() + pos);
      pos += 4;
      id &= 0x7fff;
    }
    const bool variable = ipfix && len == kVariableLength;
    TemplateField f{variable || t.options ? FieldUse::kSkip : field_use(id, pen, len), len};
    t.fields.push_back(f);
    t.variable |= variable;
    t.min_length += variable ? 1 : len;
  }
  return t.min_length > 0;
}

void Decoder::read_templates(const SessionKey& key, Session& s, std::span<const uint8_t> set,
                             bool ipfix, bool options, std::vector<ExportRecord>& out) {
  size_t pos = 0;
  while (pos + 4 <= set.size()) {
    const uint16_t id = u16(set.data() + pos);
    const uint16_t n = u16(set.data() + pos + 2);
    if (id == 0 && n == 0) break;  // padding
    if (ipfix && n == 0) {         // withdrawal (RFC 7011 8.1)
      if (id == 2 || id == 3) {
        s.templates.withdraw_all(id == 3);
      } else {
        s.templates.withdraw(id);
      }
      pos += 4;
      continue;
    }
    Template t;
    t.options = options;
    size_t fields = n;
    if (options && ipfix) {
      if (pos + 6 > set.size() || u16(set.data() + pos + 4) == 0 || u16(set.data() + pos + 4) > n) {
        return count(DecodeError::kBadTemplate);
      }
      pos += 6;
    } else if (options) {
      // v9: scope and option lengths in bytes, four bytes per field.
      if (pos + 6 > set.size()) return count(DecodeError::kBadTemplate);
      fields = (static_cast<size_t>(n) + u16(set.data() + pos + 4)) / 4;
      pos += 6;
    } else {
      pos += 4;
    }
    if (id < 256 || !read_template_fields(set, pos, fields, ipfix, t)) {
      return count(DecodeError::kBadTemplate);
    }
    if (!s.templates.put(id, t)) {
      count(DecodeError::kTemplateLimit);
      continue;
    }
    replay_pending(key, id, t, out);
  }
}

size_t Decoder::read_data(const Template& t, std::span<const uint8_t> set, const TimeBase& time,
                          uint8_t version, std::vector<ExportRecord>& out) {
  const uint8_t* p = set.data();
  const uint8_t* end = p + set.size();
  size_t records = 0;
  // Fewer bytes left than the smallest record are padding (RFC 7011 3.3.1).
  while (static_cast<size_t>(end - p) >= t.min_length) {
    ExportRecord r;
    Times tm;
    Fields f;
    bool truncated = false;
    for (const auto& field : t.fields) {
      size_t len = field.length;
      if (len == kVariableLength) {
        if (end - p < 1) {
          truncated = true;
          break;
        }
        len = *p++;
        if (len == 255) {
          if (end - p < 2) {
            truncated = true;
            break;
          }
          len = u16(p);
          p += 2;
        }
      }
      if (static_cast<size_t>(end - p) < len) {
        truncated = true;
        break;
      }
      switch (field.use) {
        case FieldUse::kSkip:
          break;
        case FieldUse::kBytes:
          r.bytes = uint_n(p, len);
          break;
        case FieldUse::kPackets:
          r.packets = uint_n(p, len);
          break;
        case FieldUse::kRevBytes:
          r.rev_bytes = uint_n(p, len);
          r.biflow = true;
          break;
        case FieldUse::kRevPackets:
          r.rev_packets = uint_n(p, len);
          r.biflow = true;
          break;
        case FieldUse::kProto:
          r.proto = *p;
          break;
        case FieldUse::kTcpFlags:
          r.tcp_flags = static_cast<uint16_t>(uint_n(p, len));
          break;
        case FieldUse::kRevTcpFlags:
          r.rev_tcp_flags = static_cast<uint16_t>(uint_n(p, len));
          break;
        case FieldUse::kSrcPort:
          r.sport = u16(p);
          break;
        case FieldUse::kDstPort:
          r.dport = u16(p);
          break;
        case FieldUse::kSrc4:
        case FieldUse::kSrc6:
          std::memcpy(r.src.data(), p, len);
          r.ipv6 = field.use == FieldUse::kSrc6;
          f.has_src = true;
          break;
        case FieldUse::kDst4:
        case FieldUse::kDst6:
          std::memcpy(r.dst.data(), p, len);
          f.has_dst = true;
          break;
        case FieldUse::kIcmpTypeCode:
          f.icmp = u16(p);
          f.has_icmp = true;
          break;
        case FieldUse::kStartUptimeMs:
          tm.start_up = u32(p);
          tm.has_start_up = true;
          break;
        case FieldUse::kEndUptimeMs:
          tm.end_up = u32(p);
          tm.has_end_up = true;
          break;
        case FieldUse::kStartSec:
          tm.start_abs_us = static_cast<int64_t>(u32(p)) * 1'000'000;
          tm.has_start_abs = true;
          break;
        case FieldUse::kEndSec:
          tm.end_abs_us = static_cast<int64_t>(u32(p)) * 1'000'000;
          tm.has_end_abs = true;
          break;
        case FieldUse::kStartMs:
          tm.start_abs_us = static_cast<int64_t>(uint_n(p, 8) % (uint64_t{1} << 53)) * 1000;
          tm.has_start_abs = true;
          break;
        case FieldUse::kEndMs:
          tm.end_abs_us = static_cast<int64_t>(uint_n(p, 8) % (uint64_t{1} << 53)) * 1000;
          tm.has_end_abs = true;
          break;
        case FieldUse::kStartNtp:
          tm.start_abs_us = ntp_to_us(uint_n(p, 8));
          tm.has_start_abs = true;
          break;
        case FieldUse::kEndNtp:
          tm.end_abs_us = ntp_to_us(uint_n(p, 8));
          tm.has_end_abs = true;
          break;
        case FieldUse::kSysInitMs:
          tm.sys_init_ms = static_cast<int64_t>(uint_n(p, 8) % (uint64_t{1} << 53));
          tm.has_sys_init = true;
          break;
      }
      p += len;
    }
    if (truncated) {
      count(DecodeError::kTruncatedRecord);
      break;
    }
    ++records;
    if (t.options) {
      ++counters_.options_records;
      continue;
    }
    if (!f.has_src || !f.has_dst) {
      count(DecodeError::kMissingAddress);
      continue;
    }
    auto uptime_to_us = [&](uint32_t up) {
      if (tm.has_sys_init) return tm.sys_init_ms * 1000 + static_cast<int64_t>(up) * 1000;
      if (time.has_uptime) {
        return time.export_us -
               static_cast<int64_t>(static_cast<int32_t>(time.uptime_ms - up)) * 1000;
      }
      return time.export_us;
    };
    r.start_us = tm.has_start_abs  ? tm.start_abs_us
                 : tm.has_start_up ? uptime_to_us(tm.start_up)
                                   : time.export_us;
    r.end_us = tm.has_end_abs  ? tm.end_abs_us
               : tm.has_end_up ? uptime_to_us(tm.end_up)
                               : r.start_us;
    r.end_us = std::max(r.end_us, r.start_us);
    const bool icmp = r.proto == kProtoIcmp || r.proto == kProtoIcmpV6;
    if (icmp) {
      if (f.has_icmp) r.dport = f.icmp;
      r.sport = 0;
    }
    r.version = version;
    out.push_back(r);
    ++counters_.records[version == 9 ? 1 : 2];
  }
  return records;
}

void Decoder::buffer_pending(const SessionKey& key, uint16_t id, const TimeBase& time,
                             std::span<const uint8_t> set) {
  if (set.size() > limits_.max_pending_bytes || limits_.max_pending_sets == 0) {
    return count(DecodeError::kPendingDropped);
  }
  while (!pending_.empty() && (pending_.size() >= limits_.max_pending_sets ||
                               pending_bytes_ + set.size() > limits_.max_pending_bytes)) {
    pending_bytes_ -= pending_.front().bytes.size();
    pending_.pop_front();
    count(DecodeError::kPendingDropped);
  }
  pending_.push_back({key, id, time, {set.begin(), set.end()}});
  pending_bytes_ += set.size();
}

void Decoder::replay_pending(const SessionKey& key, uint16_t id, const Template& t,
                             std::vector<ExportRecord>& out) {
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->template_id == id && it->key == key) {
      read_data(t, it->bytes, it->time, key.version, out);
      pending_bytes_ -= it->bytes.size();
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace flowsentry::collect
