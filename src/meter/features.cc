#include "meter/features.h"

#include <arpa/inet.h>

#include <cmath>

#include <fmt/format.h>

#include "meter/proto_names.h"

namespace flowsentry::meter {
namespace {

using flow::FlowRecord;

// Argus's server side (ArgusModeler.c ArgusGenerateRecord) turns the sums into a mean and a
// standard deviation in float; "act" and "idle" use different arithmetic (idle divides
// integers), reproduced here.
struct StatsObject {
  uint32_t n = 0;
  float meanval = 0;
  float stdev = 0;
};

StatsObject idle_stats(const TimeStats& t) {
  StatsObject o;
  o.n = t.n;
  if (!t.n) return o;
  o.meanval = t.sum / static_cast<float>(t.n);
  o.stdev = sqrtf(static_cast<float>(static_cast<double>(t.sumsqrd / t.n) -
                                     std::pow(t.sum / static_cast<float>(t.n), 2.0)));
  return o;
}

StatsObject act_stats(const TimeStats& t) {
  // The Debian argus 3.0.8.2 build divides the sum of squares before any float rounding
  // (checked on loopback captures: float rounding there is off by up to 4e-5); the idle
  // formula below, integer division included, reproduces it for both kinds.
  return idle_stats(t);
}

double seconds(int64_t us) {
  return static_cast<double>(us) / 1e6;
}

double load_bps(const DirState& d, double dur) {
  return argus_load_bps(d.bytes, d.pkts, dur);
}

std::string format_mac(const std::array<uint8_t, 6>& m) {
  return fmt::format("{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4],
                     m[5]);
}

std::string state_of(const FlowState& f) {
  const bool both = f.s.pkts && f.d.pkts;
  if (f.key.network == Network::kArp || (f.key.proto != kProtoTcp && f.key.proto != kProtoIcmp)) {
    if (both) return "CON";
    if (f.s.pkts) return f.first_record ? "INT" : "REQ";
    return "RSP";
  }
  std::string_view name =
      f.key.proto == kProtoTcp ? f.tcp.state_name(both) : icmp_state(f.icmp_type, f.icmp_code);
  return std::string(name.data(), name.size());
}

}  // namespace

// Argus clients (argus_client.c): bits over the record's duration, less one mean packet.
double argus_load_bps(uint64_t bytes_total, uint64_t pkts, double dur) {
  if (pkts <= 1 || !(dur > 0)) return 0;
  const double secs = dur;
  const int64_t bytes = static_cast<int64_t>(bytes_total);
  const int64_t bppkts = bytes / static_cast<int64_t>(pkts);
  return static_cast<float>((bytes - bppkts) * 8.0) / static_cast<float>(secs);
}

std::string_view icmp_state(uint8_t type, uint8_t code) {
  static constexpr std::array<std::string_view, 41> kTypes{
      "ECR", "",    "",    "UR",  "SRC", "RED", "AHA", "",    "ECO", "RTA", "RTS",
      "TXD", "PAR", "TST", "TSR", "IRQ", "IRR", "MAS", "MSR", "SEC", "ROB", "ROB",
      "ROB", "ROB", "ROB", "ROB", "ROB", "ROB", "ROB", "ROB", "TRC", "DCE", "MHR",
      "WAY", "IAH", "MRQ", "MRP", "DNQ", "DNP", "SKP", "PHO"};
  if (type == 3) {
    static constexpr std::array<std::string_view, 16> kUnreach{
        "URN",   "URH",    "URO",    "URP",    "URF",    "URS",   "URNU",  "URHU",
        "URISO", "URNPRO", "URHPRO", "URNTOS", "URHTOS", "URFIL", "URPRE", "URCUT"};
    return code < kUnreach.size() ? kUnreach[code] : "UR";
  }
  if (type < kTypes.size() && !kTypes[type].empty()) return kTypes[type];
  return "UNK";
}

double argus_intpkt_ms(const DirState& d) {
  const StatsObject a = act_stats(d.act), i = idle_stats(d.idle);
  const uint32_t n = a.n + i.n;
  float meanval = 0;
  if (n > 0) {
    meanval = a.meanval * static_cast<float>(a.n) + i.meanval * static_cast<float>(i.n);
    meanval = meanval / static_cast<float>(n);
  }
  return meanval / 1000.0;
}

double argus_jitter_ms(const DirState& d) {
  const StatsObject a = act_stats(d.act), i = idle_stats(d.idle);
  const uint32_t n = a.n + i.n;
  if (n == 0) return 0;
  double stdev;
  if (a.n && i.n) {
    // The quirk: sums of squares in µs² are divided by 1000 while the mean is turned into ms,
    // so the result is neither µs nor ms (≈ √1000 × the RMS interval). UNSW-NB15 carries it.
    float meanval = (a.meanval * static_cast<float>(a.n) + i.meanval * static_cast<float>(i.n)) /
                    static_cast<float>(n);
    double s1 = a.n * std::pow(double{a.stdev}, 2.0) + std::pow(double{a.meanval} * a.n, 2.0) / a.n;
    double s2 = i.n * std::pow(double{i.stdev}, 2.0) + std::pow(double{i.meanval} * i.n, 2.0) / i.n;
    double sumsqrd = (s1 + s2) / 1000;
    meanval = static_cast<float>(meanval / 1000.0);
    stdev = std::sqrt(sumsqrd / n - std::pow(double{meanval}, 2.0));
  } else {
    stdev = (a.n ? a.stdev : i.stdev) / 1000.0;
  }
  if (stdev != stdev) stdev = 0;
  return stdev;
}

int ct_state_ttl(std::string_view state, int sttl, int dttl) {
  auto in = [](int v, std::initializer_list<int> set) {
    for (int x : set) {
      if (v == x) return true;
    }
    return false;
  };
  if (state == "FIN" && in(sttl, {62, 63, 254, 255}) && in(dttl, {252, 253})) return 1;
  if (state == "INT" && in(sttl, {0, 62, 254}) && dttl == 0) return 2;
  if (state == "CON" && in(sttl, {62, 254}) && in(dttl, {60, 252, 253})) return 3;
  if (state == "ACC" && sttl == 254 && dttl == 252) return 4;
  if (state == "CLO") return 5;
  if (state == "REQ" && sttl == 254 && dttl == 0) return 6;
  return 0;
}

std::string format_address(const Address& a, Network n) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (n == Network::kIpv6) {
    inet_ntop(AF_INET6, a.data(), buf, sizeof(buf));
    return buf;
  }
  // Dotted quad by hand: glibc's inet_ntop goes through sprintf, 2 % of capture's time.
  char* p = buf;
  for (int i = 0; i < 4; ++i) {
    const unsigned v = a[i];
    if (v >= 100) *p++ = static_cast<char>('0' + v / 100);
    if (v >= 10) *p++ = static_cast<char>('0' + v / 10 % 10);
    *p++ = static_cast<char>('0' + v % 10);
    if (i < 3) *p++ = '.';
  }
  return std::string(buf, p);
}

namespace {

// As `r = FlowRecord{}`, keeping the strings' buffers (records are reused slots).
void reset_record(FlowRecord& r) {
  r.num.fill(0);
  r.id.reset();
  r.stime.reset();
  r.ltime.reset();
  r.sport.reset();
  r.dsport.reset();
  r.arp_sha.reset();
  r.arp_tha.reset();
  r.attack_cat.reset();
  r.label.reset();
  r.key = flow::RecordKey{};
}

}  // namespace

void make_record(const FlowState& f, FlowRecord& r) {
  reset_record(r);
  const double dur = seconds(f.ltime_us - f.stime_us);
  const auto& s = f.s;
  const auto& d = f.d;
  r[flow::kDur] = dur;
  // assign(data, size): assigning string_views here trips GCC 12's false -Wrestrict.
  const std::string_view proto =
      f.key.network == Network::kArp ? std::string_view("arp") : argus_proto_name(f.key.proto);
  r.proto.assign(proto.data(), proto.size());
  r.state = state_of(f);
  std::string_view service = f.ftp_data ? std::string_view("ftp-data")
                                        : f.service.service(f.key.proto, f.key.sport, f.key.dport);
  if (f.key.network == Network::kArp) service = flow::kNone;
  r.service.assign(service.data(), service.size());
  r[flow::kSpkts] = static_cast<double>(s.pkts);
  r[flow::kDpkts] = static_cast<double>(d.pkts);
  r[flow::kSbytes] = static_cast<double>(s.bytes);
  r[flow::kDbytes] = static_cast<double>(d.bytes);
  const uint64_t pkts = s.pkts + d.pkts;
  r[flow::kRate] = (pkts > 1 && dur > 0) ? static_cast<double>(pkts - 1) / dur : 0;
  r[flow::kSttl] = s.pkts ? s.ttl : 0;
  r[flow::kDttl] = d.pkts ? d.ttl : 0;
  r[flow::kSload] = load_bps(s, dur);
  r[flow::kDload] = load_bps(d, dur);
  r[flow::kSinpkt] = argus_intpkt_ms(s);
  r[flow::kDinpkt] = argus_intpkt_ms(d);
  r[flow::kSjit] = argus_jitter_ms(s);
  r[flow::kDjit] = argus_jitter_ms(d);
  r[flow::kSmean] = s.pkts ? std::round(static_cast<double>(s.bytes) / s.pkts) : 0;
  r[flow::kDmean] = d.pkts ? std::round(static_cast<double>(d.bytes) / d.pkts) : 0;
  if (f.key.proto == kProtoTcp && f.key.network != Network::kArp) {
    const auto& ts = f.tcp.src();
    const auto& td = f.tcp.dst();
    r[flow::kSloss] = ts.retrans;
    r[flow::kDloss] = td.retrans;
    // UNSW-NB15 encodes the window as 255 when the direction advertised one, else 0.
    r[flow::kSwin] = ts.win ? 255 : 0;
    r[flow::kDwin] = td.win ? 255 : 0;
    r[flow::kStcpb] = ts.seqbase;
    r[flow::kDtcpb] = td.seqbase;
    r[flow::kSynack] = seconds(f.tcp.synack_us());
    r[flow::kAckdat] = seconds(f.tcp.ackdat_us());
    r[flow::kTcprtt] = r[flow::kSynack] + r[flow::kAckdat];
  }
  r[flow::kTransDepth] = f.service.trans_depth();
  r[flow::kResponseBodyLen] = static_cast<double>(f.service.response_body_len());
  r[flow::kCtFlwHttpMthd] = f.service.http_methods();
  r[flow::kIsFtpLogin] = f.service.is_ftp_login();
  r[flow::kCtFtpCmd] = f.service.ftp_commands();
  r[flow::kCtStateTtl] =
      ct_state_ttl(r.state, static_cast<int>(r[flow::kSttl]), static_cast<int>(r[flow::kDttl]));

  r.stime = seconds(f.stime_us);
  r.ltime = seconds(f.ltime_us);
  r.srcip = format_address(f.key.src, f.key.network);
  r.dstip = format_address(f.key.dst, f.key.network);
  if (f.key.proto == kProtoIcmp || f.key.proto == kProtoIcmpv6) {
    r.sport = f.icmp_type;
    r.dsport = f.icmp_code;
  } else {
    r.sport = f.key.sport;
    r.dsport = f.key.dport;
  }
  r[flow::kIsSmIpsPorts] = (*r.srcip == *r.dstip && *r.sport == *r.dsport) ? 1 : 0;
  if (f.key.network == Network::kArp) {
    r.arp_sha = format_mac(f.arp_sha);
    r.arp_tha = format_mac(f.arp_tha);
  }
}

// `e.*field` takes `v` and the id of an equal text among the entries staying in the window
// (all share one id), or a new id. `leaving` is the slot being overwritten (none: size).
void CtWindow::set_text(Text Entry::*field, std::string_view v, size_t leaving, Entry& e) {
  Text& t = e.*field;
  t.text.assign(v.data(), v.size());
  t.hash = std::hash<std::string_view>{}(v);
  for (size_t i = 0; i < ring_.size(); ++i) {
    const Text& o = ring_[i].*field;
    if (o.hash == t.hash && i != leaving && o.text == v) {
      t.id = o.id;
      return;
    }
  }
  t.id = ++next_id_;
}

void CtWindow::apply(FlowRecord& rec) {
  // When full, the oldest entry is overwritten in place (its strings' buffers are reused).
  const bool full = ring_.size() >= window_;
  const size_t slot = full ? next_ : ring_.size();
  Entry e;
  if (full) e = std::move(ring_[slot]);
  set_text(&Entry::srcip, rec.srcip ? std::string_view(*rec.srcip) : std::string_view(), slot, e);
  set_text(&Entry::dstip, rec.dstip ? std::string_view(*rec.dstip) : std::string_view(), slot, e);
  set_text(&Entry::service, rec.service, slot, e);
  e.sport = rec.sport.value_or(0);
  e.dsport = rec.dsport.value_or(0);
  if (full) {
    ring_[slot] = std::move(e);
    next_ = (next_ + 1) % window_;
  } else {
    ring_.push_back(std::move(e));
  }
  const Entry& c = ring_[slot];
  int srv_src = 0, srv_dst = 0, dst = 0, src = 0, src_dport = 0, dst_sport = 0, dst_src = 0;
  for (const Entry& o : ring_) {
    const bool same_src = o.srcip.id == c.srcip.id;
    const bool same_dst = o.dstip.id == c.dstip.id;
    const bool same_srv = o.service.id == c.service.id;
    srv_src += same_srv && same_src;
    srv_dst += same_srv && same_dst;
    dst += same_dst;
    src += same_src;
    src_dport += same_src && o.dsport == c.dsport;
    dst_sport += same_dst && o.sport == c.sport;
    dst_src += same_src && same_dst;
  }
  rec[flow::kCtSrvSrc] = srv_src;
  rec[flow::kCtSrvDst] = srv_dst;
  rec[flow::kCtDstLtm] = dst;
  rec[flow::kCtSrcLtm] = src;
  rec[flow::kCtSrcDportLtm] = src_dport;
  rec[flow::kCtDstSportLtm] = dst_sport;
  rec[flow::kCtDstSrcLtm] = dst_src;
}

}  // namespace flowsentry::meter
