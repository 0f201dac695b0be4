// StoreTest, hosts: the flow list, top hosts and a host's detail, each checked against a
// brute-force computation over the same rows in memory; retention of alerts and drift events.
#include <algorithm>
#include <map>
#include <random>
#include <set>
#include <span>
#include <tuple>

#include <fmt/format.h>

#include "store/sql_store.h"
#include "store/tests/store_suite.h"
#include "store/write_batch.h"

namespace flowsentry::store::testing {
namespace {

constexpr double kT0 = 1772323200;  // 2026-03-01 00:00:00 UTC

const std::vector<std::string>& host_pool() {
  static const std::vector<std::string> pool = [] {
    std::vector<std::string> p;
    for (int i = 1; i <= 12; ++i) p.push_back("10.0.0." + std::to_string(i));
    for (int i = 0; i < 6; ++i) p.push_back("10.1." + std::to_string(i * 40) + ".7");
    for (int i = 0; i < 4; ++i) p.push_back("192.168.1." + std::to_string(250 + i));
    for (const char* v6 : {"2001:db8::1", "2001:db8::2", "2001:db8:0:1::9", "fe80::1", "::1"}) {
      p.push_back(v6);
    }
    return p;
  }();
  return pool;
}

// `span` seconds (two hours) of flows between a few dozen IPv4 and IPv6 hosts (a skewed mix:
// some talk much more), with ports and bytes; every tenth flow without identity, like a UNSW
// CSV row.
std::vector<model::ScoredFlow> host_flows(size_t n, double span = 7200) {
  auto rows = make_flows(n, kT0, span, 77, "pcap");
  std::mt19937_64 rng(5);
  const auto& pool = host_pool();
  std::geometric_distribution<size_t> skew(0.12);
  static const int64_t kPorts[] = {22, 53, 80, 443, 445, 3389, 8080};
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& f = rows[i].flow;
    f[flow::kSbytes] = static_cast<double>(rng() % 100000);
    f[flow::kDbytes] = static_cast<double>(rng() % 100000);
    rows[i].verdict.attack_cat = rows[i].verdict.label ? (i % 3 ? "Exploits" : "DoS") : "Normal";
    if (i % 10 == 9) continue;
    f.srcip = pool[skew(rng) % pool.size()];
    f.dstip = pool[rng() % pool.size()];
    f.sport = static_cast<int64_t>(1024 + rng() % 60000);
    f.dsport = kPorts[rng() % std::size(kPorts)];
    if (i % 4) f.ltime = *f.stime + static_cast<double>(rng() % 100) / 10;
  }
  return rows;
}

bool in_window(const model::ScoredFlow& sf, const Query& q) {
  const auto& f = sf.flow;
  return *f.stime >= q.from && *f.stime < q.to && filter_matches(q.proto, f.proto);
}

bool on(const std::optional<std::string>& ip, const AddressRange& r) {
  auto a = ip ? flow::parse_address(*ip) : std::nullopt;
  return a && r.contains(*a);
}

AddressRange range(const std::string& text) {
  auto r = parse_address_range(text);
  EXPECT_TRUE(r.ok()) << text;
  return *r;
}

bool passes(const model::ScoredFlow& sf, const FlowFilter& fl) {
  const auto& f = sf.flow;
  if (fl.host && !on(f.srcip, *fl.host) && !on(f.dstip, *fl.host)) return false;
  if (fl.src && !on(f.srcip, *fl.src)) return false;
  if (fl.dst && !on(f.dstip, *fl.dst)) return false;
  if (fl.port && f.sport != fl.port && f.dsport != fl.port) return false;
  if (fl.anomalies && sf.verdict.label != (*fl.anomalies ? 1 : 0)) return false;
  return true;
}

using SortKey = std::tuple<double, std::string, int64_t, int64_t>;

SortKey sort_key(double stime, const flow::RecordKey& k) {
  return {stime, k.source, k.partition, k.offset};
}

// Every page of the list, `page` flows at a time, following `next`.
std::vector<SortKey> all_pages(Store& s, const Query& q, const FlowFilter& fl, int page) {
  std::vector<SortKey> got;
  std::optional<FlowCursor> after;
  for (int guard = 0; guard < 1000; ++guard) {
    auto r = s.list_flows(q, fl, after, page);
    EXPECT_TRUE(r.ok()) << r.error().to_string();
    if (!r.ok()) break;
    EXPECT_LE(r->flows.size(), static_cast<size_t>(page));
    for (const auto& f : r->flows) got.push_back(sort_key(f.stime, f.key));
    if (!r->next) break;
    // The cursor is what the API hands out: its text form must round-trip.
    after = decode_flow_id(encode_flow_id(r->next->stime, r->next->key));
    EXPECT_TRUE(after.has_value());
  }
  return got;
}

void check_list(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q,
                const FlowFilter& fl, const std::string& what) {
  std::vector<SortKey> want;
  for (const auto& r : rows) {
    if (in_window(r, q) && passes(r, fl)) want.push_back(sort_key(*r.flow.stime, r.flow.key));
  }
  std::sort(want.rbegin(), want.rend());  // newest first, key descending
  EXPECT_EQ(all_pages(s, q, fl, 37), want) << what;
}

struct Tally {
  int64_t flows = 0, anomalies = 0;
  double bytes = 0, max_score = 0;
  void add(const model::ScoredFlow& sf) {
    ++flows;
    anomalies += sf.verdict.label;
    bytes += sf.flow[flow::kSbytes] + sf.flow[flow::kDbytes];
    max_score = std::max(max_score, sf.verdict.score);
  }
};

void expect_tally(const HostStat& got, const Tally& want, const std::string& what) {
  EXPECT_EQ(got.flows, want.flows) << what;
  EXPECT_EQ(got.anomalies, want.anomalies) << what;
  EXPECT_DOUBLE_EQ(got.bytes, want.bytes) << what;
  EXPECT_DOUBLE_EQ(got.max_score, want.max_score) << what;
}

double order_value(const HostStat& h, HostOrder by) {
  return by == HostOrder::kFlows       ? static_cast<double>(h.flows)
         : by == HostOrder::kAnomalies ? static_cast<double>(h.anomalies)
                                       : h.bytes;
}

void check_top(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q, HostOrder by,
               HostRole role) {
  std::map<std::string, Tally> want;
  for (const auto& r : rows) {
    if (!in_window(r, q)) continue;
    if (role != HostRole::kDst && r.flow.srcip) want[*r.flow.srcip].add(r);
    if (role != HostRole::kSrc && r.flow.dstip) want[*r.flow.dstip].add(r);
  }
  const std::string what =
      fmt::format("by {} role {}", static_cast<int>(by), static_cast<int>(role));
  auto got = s.top_hosts(q, by, role, 8);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  ASSERT_EQ(got->size(), std::min<size_t>(8, want.size())) << what;
  std::vector<double> want_values;
  for (const auto& [ip, t] : want) {
    HostStat h{ip, t.flows, t.anomalies, t.bytes, t.max_score};
    want_values.push_back(order_value(h, by));
  }
  std::sort(want_values.rbegin(), want_values.rend());
  for (size_t i = 0; i < got->size(); ++i) {
    const auto& h = (*got)[i];
    ASSERT_TRUE(want.contains(h.ip)) << what << " " << h.ip;
    expect_tally(h, want[h.ip], what + " " + h.ip);
    EXPECT_DOUBLE_EQ(order_value(h, by), want_values[i]) << what << " rank " << i;
  }
}

void check_detail(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q,
                  const std::string& ip) {
  const auto host = range(ip);
  auto got = s.host_detail(q, host.lo, 1000);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  HostSummary sum;
  std::map<int64_t, HostBucket> timeline;
  std::map<std::string, Tally> peers;
  std::map<std::pair<int64_t, std::string>, std::pair<int64_t, int64_t>> ports;
  std::map<std::string, int64_t> cats;
  const int64_t b = bucket_seconds_for(q.to - q.from);
  for (const auto& r : rows) {
    const auto& f = r.flow;
    const bool src = on(f.srcip, host), dst = on(f.dstip, host);
    if (!in_window(r, q) || !(src || dst)) continue;
    ++sum.flows;
    sum.anomalies += r.verdict.label;
    sum.bytes_out += (src ? f[flow::kSbytes] : 0) + (dst ? f[flow::kDbytes] : 0);
    sum.bytes_in += (src ? f[flow::kDbytes] : 0) + (dst ? f[flow::kSbytes] : 0);
    sum.first = std::min(sum.first.value_or(1e300), *f.stime);
    sum.last = std::max(sum.last.value_or(-1e300), f.ltime.value_or(*f.stime));
    auto& bucket =
        timeline[static_cast<int64_t>(std::floor(*f.stime / static_cast<double>(b))) * b];
    ++bucket.flows;
    bucket.anomalies += r.verdict.label;
    bucket.max_score = std::max(bucket.max_score, r.verdict.score);
    if (src && f.dstip) peers[*f.dstip].add(r);
    if (dst && f.srcip) peers[*f.srcip].add(r);
    if (f.dsport) {
      auto& p = ports[{*f.dsport, f.proto}];
      ++p.first;
      p.second += r.verdict.label;
    }
    if (r.verdict.label) ++cats[r.verdict.attack_cat];
  }
  const auto& d = *got;
  EXPECT_EQ(d.summary.flows, sum.flows) << ip;
  EXPECT_EQ(d.summary.anomalies, sum.anomalies) << ip;
  EXPECT_DOUBLE_EQ(d.summary.bytes_out, sum.bytes_out) << ip;
  EXPECT_DOUBLE_EQ(d.summary.bytes_in, sum.bytes_in) << ip;
  EXPECT_EQ(d.summary.first, sum.first) << ip;
  EXPECT_EQ(d.summary.last, sum.last) << ip;
  ASSERT_EQ(d.timeline.size(), timeline.size()) << ip;
  for (const auto& p : d.timeline) {
    const auto& w = timeline[p.t];
    EXPECT_EQ(p.flows, w.flows) << ip << " t=" << p.t;
    EXPECT_EQ(p.anomalies, w.anomalies) << ip << " t=" << p.t;
    EXPECT_DOUBLE_EQ(p.max_score, w.max_score) << ip << " t=" << p.t;
  }
  ASSERT_EQ(d.peers.size(), peers.size()) << ip;
  for (size_t i = 0; i < d.peers.size(); ++i) {
    const auto& p = d.peers[i];
    ASSERT_TRUE(peers.contains(p.ip)) << ip << " peer " << p.ip;
    expect_tally(p, peers[p.ip], ip + " peer " + p.ip);
    if (i > 0) {
      EXPECT_GE(d.peers[i - 1].flows, p.flows) << ip;
    }
  }
  ASSERT_EQ(d.ports.size(), ports.size()) << ip;
  for (const auto& p : d.ports) {
    const auto& w = ports[{p.port, p.proto}];
    EXPECT_EQ(p.flows, w.first) << ip << " port " << p.port;
    EXPECT_EQ(p.anomalies, w.second) << ip << " port " << p.port;
  }
  ASSERT_EQ(d.categories.size(), cats.size()) << ip;
  for (const auto& c : d.categories) EXPECT_EQ(c.count, cats[c.attack_cat]) << ip << c.attack_cat;
}

void check_all_tops(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q) {
  for (auto by : {HostOrder::kAnomalies, HostOrder::kFlows, HostOrder::kBytes}) {
    for (auto role : {HostRole::kSrc, HostRole::kDst, HostRole::kAny}) {
      check_top(s, rows, q, by, role);
    }
  }
}

}  // namespace

TEST_P(StoreTest, HostQueriesMatchABruteForceComputation) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto rows = host_flows(3000);
  ASSERT_EQ(*s->write(rows), 3000);
  Query tcp{kT0 + 1800.5, kT0 + 5400};
  tcp.proto = "tcp";
  for (const Query& q : {Query{kT0, kT0 + 7200}, Query{kT0 + 600.25, kT0 + 4000}, tcp}) {
    const std::string w = fmt::format("[{}, {}) {}", q.from - kT0, q.to - kT0, q.proto);
    check_list(*s, rows, q, {}, w + " no filter");
    for (const char* h : {"10.0.0.1", "2001:db8::2", "10.0.0.0/28", "10.1.0.0/16", "2001:db8::/32",
                          "::/0", "0.0.0.0/0", "10.9.9.9"}) {
      check_list(*s, rows, q, {.host = range(h)}, w + " host=" + h);
    }
    check_list(*s, rows, q, {.src = range("10.0.0.0/24"), .dst = range("2001:db8::/32")},
               w + " src+dst");
    check_list(*s, rows, q, {.port = 22}, w + " port 22");
    check_list(*s, rows, q, {.host = range("192.168.1.250/31"), .anomalies = true},
               w + " anomalies of a /31");
    check_list(*s, rows, q, {.anomalies = false}, w + " normal");
    check_all_tops(*s, rows, q);
    for (const char* ip : {"10.0.0.1", "10.0.0.7", "2001:db8::1", "::1", "10.9.9.9"}) {
      check_detail(*s, rows, q, ip);
    }
  }
}

// Whole 6 h blocks, hours and 5 minutes come from the host rollups, the sub-5-minute edges from
// the flows; replays (a batch half stored before, a whole batch again) must not count anything
// twice.
TEST_P(StoreTest, TopHostsMergeTheRollupLevelsWithRawEdgesExactly) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto rows = host_flows(4000, 30 * 3600 - 600);
  const std::span<const model::ScoredFlow> all(rows);
  ASSERT_EQ(*s->write(all.first(2000)), 2000);
  ASSERT_EQ(*s->write(all.subspan(1000, 2000)), 1000);
  ASSERT_EQ(*s->write(all.subspan(2500)), 1000);
  ASSERT_EQ(*s->write(all), 0);
  constexpr double kH = 3600;
  for (const Query& q :
       {Query{kT0 + 1800.5, kT0 + 9000.25}, Query{kT0 + 1000, kT0 + 12000},
        Query{kT0, kT0 + 3 * kH + 0.5}, Query{kT0 - 1e9, kT0 + 1e12},
        Query{kT0 + 3599.75, kT0 + 7200}, Query{kT0 + 1234.5, kT0 + 1234.5 + 24 * kH},
        Query{kT0 + 6 * kH, kT0 + 18 * kH}, Query{kT0 + 5 * kH + 299, kT0 + 19 * kH + 301},
        Query{kT0 + 610, kT0 + 890}, Query{kT0 + 12 * kH - 0.5, kT0 + 12 * kH + 0.5}}) {
    SCOPED_TRACE(fmt::format("[{}, {})", q.from - kT0, q.to - kT0));
    check_all_tops(*s, rows, q);
  }
}

// The window split: coarsest whole buckets in the middle, finer ones and raw flows at the edges.
TEST(HostWindowPartsTest, ASplitWindowReadsRawFlowsOnlyUnderFiveMinutesAtEachEdge) {
  const auto parts = host_window_parts({kT0 + 1234.5, kT0 + 1234.5 + 86400});
  std::vector<std::tuple<int, double, double>> got;
  for (const auto& p : parts) got.emplace_back(p.level, p.lo - kT0, p.hi - kT0);
  const std::vector<std::tuple<int, double, double>> want{{-1, 1234.5, 1500}, {2, 1500, 3600},
                                                          {1, 3600, 21600},   {0, 21600, 86400},
                                                          {2, 86400, 87600},  {-1, 87600, 87634.5}};
  EXPECT_EQ(got, want);
  Query tcp{kT0 + 1234.5, kT0 + 86400};
  tcp.proto = "tcp";
  ASSERT_EQ(host_window_parts(tcp).size(), 1u);
  EXPECT_EQ(host_window_parts(tcp).front().level, -1);
}

// An IPv4 block or address written in its IPv6-mapped form (::ffff:10.0.0.0/104) selects the
// IPv4 flows, as the IPv4 form does, on both stores; a block around ::ffff:0:0/96 also keeps
// its IPv6 neighbours.
TEST_P(StoreTest, AnIpv4MappedCidrSelectsTheSameFlowsAsItsIpv4Form) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = host_flows(400);
  rows[3].flow.srcip = "::fffe:0:1";  // just below the mapped block
  rows[5].flow.dstip = "::1:0:0:1";   // just above it
  ASSERT_EQ(*s->write(rows), 400);
  const Query q{kT0, kT0 + 7200};
  for (const char* h : {"::ffff:10.0.0.0/104", "::ffff:10.0.0.1", "::ffff:10.1.0.0/112",
                        "::ffff:0:0/96", "::fffe:0:0/95", "::/64", "::ffff:192.168.1.250/127"}) {
    check_list(*s, rows, q, {.host = range(h)}, std::string("host=") + h);
    check_list(*s, rows, q, {.src = range(h)}, std::string("src=") + h);
  }
  auto mapped = s->list_flows(q, {.host = range("::ffff:10.0.0.0/104")}, std::nullopt, 1000);
  auto v4 = s->list_flows(q, {.host = range("10.0.0.0/8")}, std::nullopt, 1000);
  ASSERT_TRUE(mapped.ok() && v4.ok());
  EXPECT_FALSE(v4->flows.empty());
  EXPECT_EQ(mapped->flows.size(), v4->flows.size());
  auto detail = s->host_detail(q, range("::ffff:10.0.0.1").lo, 100);
  ASSERT_TRUE(detail.ok());
  EXPECT_GT(detail->summary.flows, 0);
}

TEST_P(StoreTest, RetentionRemovesOldHostRollupHours) {
  auto s = open(3);
  ASSERT_TRUE(s);
  auto rows = host_flows(1200, 6 * 86400);
  ASSERT_EQ(*s->write(rows), 1200);
  const double now = kT0 + 5 * 86400 + 43200;
  ASSERT_TRUE(s->apply_retention(now).ok());
  const auto cutoff = static_cast<double>(retention_cutoff(now, 3));
  std::erase_if(rows, [&](const model::ScoredFlow& sf) { return *sf.flow.stime < cutoff; });
  ASSERT_FALSE(rows.empty());
  check_all_tops(*s, rows, {kT0 - 86400, kT0 + 10 * 86400 + 0.5});
}

TEST_P(StoreTest, AStoredFlowIsFoundByItsId) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto rows = host_flows(50);
  ASSERT_EQ(*s->write(rows), 50);
  for (size_t i : {0u, 9u, 31u}) {
    const auto& f = rows[i].flow;
    auto id = decode_flow_id(encode_flow_id(*f.stime, f.key));
    ASSERT_TRUE(id);
    auto got = s->find_flow(*id);
    ASSERT_TRUE(got.ok()) << got.error().to_string();
    ASSERT_TRUE(got->has_value()) << i;
    EXPECT_EQ((*got)->key.offset, f.key.offset);
    EXPECT_EQ((*got)->srcip, f.srcip);
    EXPECT_EQ((*got)->sbytes, f[flow::kSbytes]);
    EXPECT_EQ((*got)->dbytes, f[flow::kDbytes]);
  }
  FlowCursor missing{*rows[0].flow.stime + 0.001, rows[0].flow.key};
  auto none = s->find_flow(missing);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}

TEST_P(StoreTest, AlertsNamingAHostSkipLongerAddresses) {
  auto s = open();
  ASSERT_TRUE(s);
  auto alert = [&](const char* id, double t, const char* payload) {
    ASSERT_TRUE(s->record_alert({id, "burst", id, kT0 + t, payload, "sent", false, {}}).ok());
  };
  alert("a", 1, R"({"summary":"10.0.0.5 -> 6 hosts, 412 ports in 60 s"})");
  alert("b", 2, R"({"evidence":{"srcip":"10.0.0.50"}})");
  alert("c", 3, R"({"evidence":{"dstip":"10.0.0.5"}})");
  alert("d", 4, R"({"summary":"scan from 110.0.0.5."})");
  alert("e", 5, R"({"summary":"seen 10.0.0.5."})");
  alert("f", 500, R"({"summary":"10.0.0.5 outside the window"})");
  auto got = s->alerts_naming(kT0, kT0 + 100, "10.0.0.5", 10);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  std::vector<std::string> ids;
  for (const auto& a : *got) ids.push_back(a.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"e", "c", "a"}));
  EXPECT_EQ(s->alerts_naming(kT0, kT0 + 100, "10.0.0.5", 1)->size(), 1u);
}

TEST_P(StoreTest, RetentionRemovesOldAlertsDriftEventsAndTestAlerts) {
  auto s = open(3);
  ASSERT_TRUE(s);
  for (int d = 0; d < 6; ++d) {
    const double t = kT0 + d * 86400 + 3600;
    const std::string n = std::to_string(d);
    ASSERT_TRUE(s->record_alert({"burst" + n, "burst", "k", t, "{}", "sent", false, {}}).ok());
    ASSERT_TRUE(s->record_alert({"test" + n, "test", "t", t + 1, "{}", "sent", false, {}}).ok());
    ASSERT_TRUE(s->record_drift({t, "mix", "js", 0.2, 0.05, "{}"}).ok());
  }
  // As of day 5, 12:00 with 3 days kept: days 2..5 stay (as for flows).
  ASSERT_TRUE(s->apply_retention(kT0 + 5 * 86400 + 43200).ok());
  auto alerts = s->list_alerts(kT0 - 86400, kT0 + 10 * 86400, 100);
  ASSERT_TRUE(alerts.ok());
  EXPECT_EQ(alerts->size(), 8u);
  for (const auto& a : *alerts) EXPECT_GE(a.created, kT0 + 2 * 86400) << a.id;
  auto drift = s->list_drift(kT0 - 86400, kT0 + 10 * 86400, 100);
  ASSERT_TRUE(drift.ok());
  EXPECT_EQ(drift->size(), 4u);
  for (const auto& e : *drift) EXPECT_GE(e.time, kT0 + 2 * 86400);
}

}  // namespace flowsentry::store::testing
