// StoreTest: every behaviour both backends promise, checked against a brute-force computation
// over the same rows in memory.
#include "store/tests/store_suite.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <thread>

namespace flowsentry::store::testing {
namespace {

std::map<std::string, std::function<std::string()>>& backends() {
  static std::map<std::string, std::function<std::string()>> m;
  return m;
}

// 2026-03-01 00:00:00 UTC: a fixed past day, so tests do not depend on the clock.
constexpr double kT0 = 1772323200;

}  // namespace

void register_backend(const std::string& name, std::function<std::string()> fresh) {
  backends()[name] = std::move(fresh);
}

std::string fresh_url(const std::string& backend) {
  return backends().at(backend)();
}

std::vector<model::ScoredFlow> make_flows(size_t n, double t0, double span, uint32_t seed,
                                          const std::string& source, int64_t offset0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  static const std::vector<std::string> kProtos{"tcp", "tcp",  "tcp",  "udp",  "udp",
                                                "arp", "ospf", "unas", "sctp", "igmp"};
  static const std::vector<std::string> kServices{"-", "-", "http", "dns", "ftp", "smtp"};
  static const std::vector<std::string> kStates{"FIN", "FIN", "INT", "CON", "REQ", "RST"};
  std::vector<model::ScoredFlow> out(n);
  for (size_t i = 0; i < n; ++i) {
    auto& f = out[i].flow;
    auto& v = out[i].verdict;
    f.key = {source, static_cast<int64_t>(i % 3), offset0 + static_cast<int64_t>(i)};
    f.stime = t0 + u(rng) * span;
    f.proto = kProtos[rng() % kProtos.size()];
    f.service = kServices[rng() % kServices.size()];
    f.state = kStates[rng() % kStates.size()];
    for (auto k : {flow::kSload, flow::kDload}) f[k] = std::floor(u(rng) * 1e6);
    for (auto k : {flow::kSpkts, flow::kDpkts}) f[k] = std::floor(u(rng) * 100);
    for (auto k :
         {flow::kSjit, flow::kDjit, flow::kTcprtt, flow::kSynack, flow::kAckdat, flow::kDur}) {
      f[k] = u(rng);
    }
    f[flow::kSttl] = static_cast<double>(rng() % 255);
    f[flow::kDttl] = static_cast<double>(rng() % 255);
    f[flow::kCtStateTtl] = static_cast<double>(rng() % 7);
    v.score = u(rng);
    // Every 7th flow ties at a saturated score, and half of those carry an explanation, as
    // the pipeline's budget leaves them: top-N must put the explained ones first.
    if (i % 7 == 0) {
      v.score = 0.9990234375;  // exact in float and double
      if (i % 14 == 0) v.top_features = {{"sbytes", 1500, 0.75}, {"sttl", 254, 0.5}};
    }
    v.label = v.score >= 0.7 ? 1 : 0;
    v.attack_cat = v.label ? "Exploits" : "Normal";
    v.model_version = "test-1";
  }
  return out;
}

std::unique_ptr<Store> StoreTest::open(int retention_days) {
  url_ = fresh_url(GetParam());
  return reopen(url_, retention_days);
}

std::unique_ptr<Store> StoreTest::reopen(const std::string& url, int retention_days) {
  StoreOptions o;
  o.url = url;
  o.retention_days = retention_days;
  auto s = open_store(o);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().to_string());
  return s.ok() ? std::move(*s) : nullptr;
}

namespace {

// ---- brute force over in-memory rows --------------------------------------------------------

bool matches(const model::ScoredFlow& sf, const Query& q) {
  const auto& f = sf.flow;
  return *f.stime >= q.from && *f.stime < q.to && filter_matches(q.proto, f.proto) &&
         filter_matches(q.service, f.service) && filter_matches(q.state, f.state);
}

void expect_near_rel(double got, double want, const std::string& what) {
  EXPECT_NEAR(got, want, 1e-9 * std::max(1.0, std::abs(want))) << what;
}

void check_score_series(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q,
                        const std::string& ctx) {
  auto got = s.score_series(q);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  const int64_t b = bucket_seconds_for(q.to - q.from);
  EXPECT_EQ(got->bucket_seconds, b);
  struct E {
    int64_t n = 0, a = 0;
    double sum = 0;
  };
  std::map<int64_t, E> want;
  for (const auto& r : rows) {
    if (!matches(r, q)) continue;
    auto& e = want[static_cast<int64_t>(std::floor(*r.flow.stime / static_cast<double>(b))) * b];
    ++e.n;
    e.a += r.verdict.label;
    e.sum += r.verdict.score;
  }
  ASSERT_EQ(got->points.size(), want.size()) << ctx;
  size_t i = 0;
  for (const auto& [t, e] : want) {
    const auto& p = got->points[i++];
    ASSERT_EQ(p.t, t) << ctx;
    EXPECT_EQ(p.count, e.n) << ctx << " t=" << t;
    EXPECT_EQ(p.anomalies, e.a) << ctx << " t=" << t;
    expect_near_rel(p.avg_score, e.sum / static_cast<double>(e.n), ctx + " avg_score");
  }
}

void check_kpi_series(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q,
                      const std::string& ctx) {
  auto got = s.kpi_series(q);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  const int64_t b = bucket_seconds_for(q.to - q.from);
  static constexpr flow::NumField kKpis[] = {flow::kSload,  flow::kDload,  flow::kSpkts,
                                             flow::kDpkts,  flow::kSjit,   flow::kDjit,
                                             flow::kTcprtt, flow::kSynack, flow::kAckdat};
  std::map<int64_t, std::pair<int64_t, std::array<double, 9>>> want;
  for (const auto& r : rows) {
    if (!matches(r, q)) continue;
    auto& e = want[static_cast<int64_t>(std::floor(*r.flow.stime / static_cast<double>(b))) * b];
    ++e.first;
    for (size_t k = 0; k < 9; ++k) e.second[k] += r.flow[kKpis[k]];
  }
  ASSERT_EQ(got->points.size(), want.size()) << ctx;
  size_t i = 0;
  for (const auto& [t, e] : want) {
    const auto& p = got->points[i++];
    ASSERT_EQ(p.t, t) << ctx;
    EXPECT_EQ(p.count, e.first) << ctx;
    const double n = static_cast<double>(e.first);
    const double got_avgs[] = {p.sload, p.dload,  p.spkts,  p.dpkts, p.sjit,
                               p.djit,  p.tcprtt, p.synack, p.ackdat};
    for (size_t k = 0; k < 9; ++k) {
      expect_near_rel(got_avgs[k], e.second[k] / n,
                      ctx + " kpi " + std::string(flow::kNumFields[kKpis[k]].name));
    }
  }
}

void check_mix(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q, MixColumn col,
               int k, const std::string& ctx) {
  auto got = s.mix(q, col, k);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  std::map<std::string, std::pair<int64_t, int64_t>> counts;
  for (const auto& r : rows) {
    if (!matches(r, q)) continue;
    auto& c = counts[col == MixColumn::kProto ? r.flow.proto : r.flow.state];
    (r.verdict.label ? c.second : c.first) += 1;
  }
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> v(counts.begin(), counts.end());
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) {
    return a.second.first + a.second.second > b.second.first + b.second.second;
  });
  std::vector<MixEntry> want;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i < static_cast<size_t>(k)) {
      want.push_back({v[i].first, v[i].second.first, v[i].second.second});
    } else {
      if (i == static_cast<size_t>(k)) want.push_back({"other", 0, 0});
      want.back().normal += v[i].second.first;
      want.back().anomaly += v[i].second.second;
    }
  }
  ASSERT_EQ(got->entries.size(), want.size()) << ctx;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(got->entries[i].value, want[i].value) << ctx << " #" << i;
    EXPECT_EQ(got->entries[i].normal, want[i].normal) << ctx << " " << want[i].value;
    EXPECT_EQ(got->entries[i].anomaly, want[i].anomaly) << ctx << " " << want[i].value;
  }
}

void check_ct_state_ttl(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q,
                        const std::string& ctx) {
  auto got = s.ct_state_ttl_counts(q);
  ASSERT_TRUE(got.ok()) << got.error().to_string();
  std::map<int64_t, std::pair<int64_t, int64_t>> want;
  for (const auto& r : rows) {
    if (!matches(r, q)) continue;
    auto& c = want[static_cast<int64_t>(r.flow[flow::kCtStateTtl])];
    (r.verdict.label ? c.second : c.first) += 1;
  }
  ASSERT_EQ(got->size(), want.size()) << ctx;
  size_t i = 0;
  for (const auto& [v, c] : want) {
    const auto& cell = (*got)[i++];
    EXPECT_EQ(cell.ct_state_ttl, v) << ctx;
    EXPECT_EQ(cell.normal, c.first) << ctx << " ct_state_ttl=" << v;
    EXPECT_EQ(cell.anomaly, c.second) << ctx << " ct_state_ttl=" << v;
  }
}

auto key_tuple(const flow::RecordKey& k) {
  return std::tie(k.source, k.partition, k.offset);
}

void check_flow_lists(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q,
                      const std::string& ctx) {
  constexpr int kLimit = 25;
  std::vector<const model::ScoredFlow*> sel;
  for (const auto& r : rows) {
    if (matches(r, q)) sel.push_back(&r);
  }
  // recent anomalies
  std::vector<const model::ScoredFlow*> anomalies;
  for (auto* r : sel) {
    if (r->verdict.label == 1) anomalies.push_back(r);
  }
  std::sort(anomalies.begin(), anomalies.end(), [](auto* a, auto* b) {
    if (*a->flow.stime != *b->flow.stime) return *a->flow.stime > *b->flow.stime;
    return key_tuple(a->flow.key) < key_tuple(b->flow.key);
  });
  auto recent = s.recent_anomalies(q, kLimit);
  ASSERT_TRUE(recent.ok()) << recent.error().to_string();
  ASSERT_EQ(recent->size(), std::min<size_t>(kLimit, anomalies.size())) << ctx;
  for (size_t i = 0; i < recent->size(); ++i) {
    const auto& g = (*recent)[i];
    const auto& w = *anomalies[i];
    EXPECT_EQ(g.key.offset, w.flow.key.offset) << ctx << " recent #" << i;
    EXPECT_EQ(g.stime, *w.flow.stime) << ctx;
    EXPECT_EQ(g.score, w.verdict.score) << ctx;
    EXPECT_EQ(g.label, 1);
    EXPECT_EQ(g.proto, w.flow.proto);
    EXPECT_EQ(g.service, w.flow.service);
    EXPECT_EQ(g.state, w.flow.state);
    EXPECT_EQ(g.attack_cat, w.verdict.attack_cat);
    EXPECT_EQ(g.model_version, w.verdict.model_version);
    EXPECT_EQ(g.sload, w.flow[flow::kSload]);
    EXPECT_EQ(g.sttl, w.flow[flow::kSttl]);
    EXPECT_EQ(g.ackdat, w.flow[flow::kAckdat]);
    EXPECT_EQ(g.ct_state_ttl, static_cast<int64_t>(w.flow[flow::kCtStateTtl]));
  }
  // top-N by score
  std::sort(sel.begin(), sel.end(), [](auto* a, auto* b) {
    if (a->verdict.score != b->verdict.score) return a->verdict.score > b->verdict.score;
    const bool a_explained = !a->verdict.top_features.empty();
    if (a_explained != !b->verdict.top_features.empty()) return a_explained;
    if (*a->flow.stime != *b->flow.stime) return *a->flow.stime > *b->flow.stime;
    return key_tuple(a->flow.key) < key_tuple(b->flow.key);
  });
  auto top = s.top_scores(q, kLimit);
  ASSERT_TRUE(top.ok()) << top.error().to_string();
  ASSERT_EQ(top->size(), std::min<size_t>(kLimit, sel.size())) << ctx;
  for (size_t i = 0; i < top->size(); ++i) {
    EXPECT_EQ((*top)[i].key.offset, sel[i]->flow.key.offset) << ctx << " top #" << i;
    EXPECT_EQ((*top)[i].score, sel[i]->verdict.score) << ctx;
  }
  auto n = s.count(q);
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n, static_cast<int64_t>(sel.size())) << ctx;
}

void check_all_queries(Store& s, const std::vector<model::ScoredFlow>& rows, const Query& q,
                       const std::string& ctx) {
  check_score_series(s, rows, q, ctx);
  check_kpi_series(s, rows, q, ctx);
  check_mix(s, rows, q, MixColumn::kProto, 3, ctx + " proto mix");
  check_mix(s, rows, q, MixColumn::kState, 10, ctx + " state mix");
  check_ct_state_ttl(s, rows, q, ctx);
  check_flow_lists(s, rows, q, ctx);
}

Status write_in_batches(Store& s, const std::vector<model::ScoredFlow>& rows, size_t batch) {
  for (size_t i = 0; i < rows.size(); i += batch) {
    auto r = s.write(std::span(rows).subspan(i, std::min(batch, rows.size() - i)));
    if (!r.ok()) return r.error();
  }
  return {};
}

}  // namespace

TEST_P(StoreTest, RewritingABatchStoresItOnce) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(500, kT0, 3600, 1);
  auto first = s->write(rows);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(*first, 500);
  auto again = s->write(rows);
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, 0);
  // Both the raw rows and the rollups count each flow once.
  check_all_queries(*s, rows, {kT0, kT0 + 3600}, "1h after rewrite");
  check_all_queries(*s, rows, {kT0 - 5000, kT0 + 86400}, "24h after rewrite");
}

TEST_P(StoreTest, OverlappingBatchStoresOnlyTheNewFlows) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(500, kT0, 7200, 2);
  ASSERT_EQ(*s->write(std::span(rows).subspan(0, 300)), 300);
  auto r = s->write(std::span(rows).subspan(200, 300));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 200);
  check_all_queries(*s, rows, {kT0, kT0 + 7200}, "2h");
}

// Windows from the API are any pair of doubles: the hour arithmetic of top-N must not overflow.
TEST_P(StoreTest, FlowListsTakeWindowsFarBeyondAnyStoredTime) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(300, kT0, 7200, 4);
  ASSERT_EQ(*s->write(rows), 300);
  check_flow_lists(*s, rows, {1.4958773235524562e-145, 1.1383852899496076e+308}, "whole line");
  check_flow_lists(*s, rows, {-1e300, kT0 + 3600}, "from far past");
  check_flow_lists(*s, rows, {kT0 + 1e300, kT0 + 2e300}, "far future");
}

TEST_P(StoreTest, DuplicateKeysInsideOneBatchStoreOnce) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(100, kT0, 600, 3);
  std::vector<model::ScoredFlow> doubled(rows);
  doubled.insert(doubled.end(), rows.begin(), rows.end());
  auto r = s->write(doubled);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 100);
  check_all_queries(*s, rows, {kT0 - 3600, kT0 + 3600}, "2h");
}

// Stored and new flows alternate within the batch, and another source reuses every partition
// and offset: only the new keys are stored, and the rollups count exactly those.
TEST_P(StoreTest, InterleavedStoredKeysAndOffsetsSharedAcrossSourcesStoreOnlyNewFlows) {
  auto s = open();
  ASSERT_TRUE(s);
  auto a = make_flows(300, kT0, 3600, 10, "a");
  auto b = make_flows(300, kT0, 3600, 11, "b");
  std::vector<model::ScoredFlow> even, mixed;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i % 2 == 0) even.push_back(a[i]);
    mixed.push_back(a[i]);
    mixed.push_back(b[i]);
  }
  ASSERT_EQ(*s->write(even), 150);
  auto r = s->write(mixed);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 450);
  std::vector<model::ScoredFlow> all(a);
  all.insert(all.end(), b.begin(), b.end());
  check_all_queries(*s, all, {kT0, kT0 + 3600}, "1h");
  check_all_queries(*s, all, {kT0 - 5000, kT0 + 86400}, "24h");
}

TEST_P(StoreTest, RejectsABatchWithAFlowWithoutStime) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(10, kT0, 60, 4);
  rows[5].flow.stime.reset();
  auto r = s->write(rows);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(r.error().where.find("test/2/5"), std::string::npos) << r.error().to_string();
  EXPECT_EQ(*s->count({kT0 - 10, kT0 + 100}), 0);
}

TEST_P(StoreTest, AdversarialTimesNoPartitionCanHoldAreRefusedAsData) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(10, kT0, 60, 4);
  rows[3].flow.stime = 1e300;  // once: undefined day arithmetic, a batch retried forever
  auto r = s->write(rows);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);  // the pipeline isolates it
  EXPECT_NE(r.error().where.find("/3"), std::string::npos) << r.error().to_string();
  rows.erase(rows.begin() + 3);
  EXPECT_EQ(*s->write(rows), 9);
}

TEST(FilterTest, ListsAreCommaSeparatedAndTrimmed) {
  EXPECT_EQ(filter_values("tcp, udp,,arp "), (std::vector<std::string>{"tcp", "udp", "arp"}));
  EXPECT_TRUE(filter_matches("", "anything"));
  EXPECT_TRUE(filter_matches("tcp,udp", "udp"));
  EXPECT_FALSE(filter_matches("tcp,udp", "tc"));
}

TEST_P(StoreTest, DashboardQueriesMatchABruteForceComputation) {
  auto s = open();
  ASSERT_TRUE(s);
  // 30 hours of flows from two sources, written in uneven batches.
  auto rows = make_flows(15000, kT0, 30 * 3600, 5, "kafka:flows");
  auto more = make_flows(5000, kT0 + 3600, 4 * 3600, 6, "file:replay.csv");
  rows.insert(rows.end(), more.begin(), more.end());
  ASSERT_TRUE(write_in_batches(*s, rows, 777).ok());
  const std::vector<Query> windows{
      {kT0 + 1234.5, kT0 + 1234.5 + 600},  // raw rows only
      {kT0 + 3601.25, kT0 + 7201.75},      // 1 h, ragged edges + 10 s rollup
      {kT0 + 3600, kT0 + 7200},            // 1 h, aligned
      {kT0 + 17.3, kT0 + 17.3 + 86400},    // 24 h, ragged edges + 5 min rollup
      {kT0 - 86400, kT0 + 3 * 86400},      // everything, 4 days
  };
  for (const auto& w : windows) {
    for (auto [proto, service, state] :
         {std::tuple{"", "", ""}, std::tuple{"tcp", "", ""}, std::tuple{"", "http", "FIN"},
          std::tuple{"udp", "dns", "INT"}, std::tuple{"nope", "", ""},
          std::tuple{"tcp,udp", "", ""}, std::tuple{"", "http, dns", "FIN,INT,nope"}}) {
      Query q = w;
      q.proto = proto;
      q.service = service;
      q.state = state;
      check_all_queries(*s, rows, q,
                        "window [" + std::to_string(q.from - kT0) + ", " +
                            std::to_string(q.to - kT0) + ") proto=" + proto +
                            " service=" + service + " state=" + state);
      if (HasFatalFailure()) return;
    }
  }
}

TEST_P(StoreTest, WritesAcrossADayBoundaryAreAllStored) {
  auto s = open();
  ASSERT_TRUE(s);
  const double midnight = kT0 + 86400;
  auto rows = make_flows(2000, midnight - 1800, 3600, 7);
  ASSERT_TRUE(write_in_batches(*s, rows, 1000).ok());
  EXPECT_EQ(
      *s->count({midnight - 1800, midnight}),
      std::count_if(rows.begin(), rows.end(), [&](auto& r) { return *r.flow.stime < midnight; }));
  check_all_queries(*s, rows, {midnight - 1800, midnight + 1800}, "around midnight");
}

TEST_P(StoreTest, TextWithQuotesBackslashesAndBracesIsStoredExactly) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(60, kT0, 600, 8);
  const char* odd[] = {"it's", "back\\slash", "{brace,comma}", "\"quoted\"", "tab\there", ""};
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].flow.proto = odd[i % std::size(odd)];
    rows[i].flow.service = odd[(i + 1) % std::size(odd)];
    rows[i].flow.key.source = std::string("src'") + odd[i % 3];
  }
  ASSERT_EQ(*s->write(rows), 60);
  ASSERT_EQ(*s->write(rows), 0);  // the replay path escapes the same way
  check_all_queries(*s, rows, {kT0, kT0 + 600}, "10 min, raw");
  check_all_queries(*s, rows, {kT0 - 3600, kT0 + 7200}, "3 h, rollups");
  Query q{kT0, kT0 + 600};
  q.proto = "back\\slash";  // a comma would make the filter a list
  EXPECT_EQ(*s->count(q), 10);
}

TEST_P(StoreTest, TopScoresOverManyDaysIsExact) {
  auto s = open(60);
  ASSERT_TRUE(s);
  std::vector<model::ScoredFlow> rows;
  for (int d = 0; d < 20; d += 4) {
    auto day = make_flows(200, kT0 + d * 86400, 86400, 40 + d, "d", d * 1000);
    rows.insert(rows.end(), day.begin(), day.end());
  }
  ASSERT_TRUE(write_in_batches(*s, rows, 300).ok());
  // 3 days go hour by hour; 30 days read the whole window at once: both exact.
  check_all_queries(*s, rows, {kT0 + 1000, kT0 + 1000 + 3 * 86400}, "3 days");
  check_all_queries(*s, rows, {kT0 - 5 * 86400, kT0 + 25 * 86400}, "30 days");
}

TEST_P(StoreTest, RetentionRemovesFlowsOlderThanRetentionDays) {
  auto s = open(3);
  ASSERT_TRUE(s);
  // One hour of flows on each of 6 days, then retention as of day 6, 12:00: keep days 3..6.
  std::vector<model::ScoredFlow> rows;
  for (int d = 0; d < 6; ++d) {
    auto day = make_flows(300, kT0 + d * 86400 + 3600, 3600, 10 + d, "d", d * 1000);
    rows.insert(rows.end(), day.begin(), day.end());
  }
  ASSERT_TRUE(write_in_batches(*s, rows, 500).ok());
  auto removed = s->apply_retention(kT0 + 5 * 86400 + 43200);
  ASSERT_TRUE(removed.ok()) << removed.error().to_string();
  EXPECT_GT(*removed, 0);
  const double cutoff = kT0 + 2 * 86400;
  std::vector<model::ScoredFlow> kept;
  for (const auto& r : rows) {
    if (*r.flow.stime >= cutoff) kept.push_back(r);
  }
  EXPECT_EQ(kept.size(), 4u * 300u);
  EXPECT_EQ(*s->count({kT0 - 86400, kT0 + 10 * 86400}), 1200);
  // Rollups went with the rows: the long-window series sees only the kept days.
  check_all_queries(*s, kept, {kT0 - 86400, kT0 + 10 * 86400}, "after retention");
}

TEST_P(StoreTest, AlertsAreRecordedAcknowledgedAndSnoozed) {
  auto s = open();
  ASSERT_TRUE(s);
  StoredAlert a{"a1", "burst", "burst:tcp", kT0 + 10, R"({"hits":12})", "pending", false, {}};
  StoredAlert b{"a2", "drift", "drift:mix", kT0 + 20, R"({"js":0.2})", "sent", false, {}};
  ASSERT_TRUE(s->record_alert(a).ok());
  ASSERT_TRUE(s->record_alert(b).ok());
  a.delivery_status = "sent";
  ASSERT_TRUE(s->record_alert(a).ok());  // same id: an update, not a second alert
  ASSERT_TRUE(s->acknowledge_alert("a2", true).ok());
  ASSERT_TRUE(s->snooze_alert("a1", kT0 + 3600).ok());
  auto missing = s->acknowledge_alert("nope", true);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kNotFound);

  auto list = s->list_alerts(kT0, kT0 + 100, 10);
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].id, "a2");  // newest first
  EXPECT_TRUE((*list)[0].acknowledged);
  EXPECT_EQ((*list)[0].payload_json, R"({"js":0.2})");
  EXPECT_EQ((*list)[1].id, "a1");
  EXPECT_EQ((*list)[1].delivery_status, "sent");
  EXPECT_FALSE((*list)[1].acknowledged);
  ASSERT_TRUE((*list)[1].snoozed_until.has_value());
  EXPECT_EQ(*(*list)[1].snoozed_until, kT0 + 3600);
  ASSERT_TRUE(s->snooze_alert("a1", std::nullopt).ok());
  EXPECT_FALSE(s->list_alerts(kT0, kT0 + 100, 10)->at(1).snoozed_until.has_value());
  EXPECT_EQ(s->list_alerts(kT0 + 15, kT0 + 100, 10)->size(), 1u);
}

TEST_P(StoreTest, DriftEventsAreListedNewestFirst) {
  auto s = open();
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->record_drift({kT0 + 1, "score", "adwin", 0.3, 0.002, "{}"}).ok());
  ASSERT_TRUE(s->record_drift({kT0 + 5, "mix", "js", 0.12, 0.05, R"({"column":"proto"})"}).ok());
  auto list = s->list_drift(kT0, kT0 + 10, 10);
  ASSERT_TRUE(list.ok()) << list.error().to_string();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].kind, "mix");
  EXPECT_EQ((*list)[0].measure, "js");
  EXPECT_EQ((*list)[0].value, 0.12);
  EXPECT_EQ((*list)[0].threshold, 0.05);
  EXPECT_EQ((*list)[0].details_json, R"({"column":"proto"})");
  EXPECT_EQ((*list)[1].time, kT0 + 1);
  EXPECT_EQ(s->list_drift(kT0, kT0 + 10, 1)->size(), 1u);
}

TEST_P(StoreTest, MigrationsAreRecordedAndReapplyingIsANoOp) {
  auto s = open();
  ASSERT_TRUE(s);
  auto st = s->migration_status();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  ASSERT_FALSE(st->empty());
  EXPECT_EQ(st->front().version, 1);
  EXPECT_EQ(st->front().name, "001_init");
  for (const auto& m : *st) EXPECT_TRUE(m.applied) << m.name;
  ASSERT_TRUE(s->migrate().ok());
  auto rows = make_flows(10, kT0, 60, 8);
  ASSERT_EQ(*s->write(rows), 10);
  s.reset();
  auto again = reopen(url_);  // opening an up-to-date store migrates nothing, keeps the data
  ASSERT_TRUE(again);
  EXPECT_EQ(*again->count({kT0, kT0 + 60}), 10);
}

TEST_P(StoreTest, ConcurrentWritersStoreEachFlowOnce) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = make_flows(6000, kT0, 4 * 3600, 9);
  std::vector<std::thread> writers;
  std::atomic<int64_t> inserted{0};
  std::atomic<bool> failed{false};
  for (int w = 0; w < 3; ++w) {
    writers.emplace_back([&, w] {
      // Each writer writes everything, starting at a different place: all overlap.
      for (size_t i = 0; i < rows.size(); i += 500) {
        size_t at = (i + static_cast<size_t>(w) * 2000) % rows.size();
        auto r = s->write(std::span(rows).subspan(at, std::min<size_t>(500, rows.size() - at)));
        if (!r.ok()) {
          failed = true;
          ADD_FAILURE() << r.error().to_string();
          return;
        }
        inserted += *r;
      }
    });
  }
  for (auto& t : writers) t.join();
  ASSERT_FALSE(failed);
  EXPECT_EQ(inserted.load(), 6000);
  check_all_queries(*s, rows, {kT0 - 60, kT0 + 5 * 3600}, "after concurrent writes");
}

TEST_P(StoreTest, AnEmptyWindowIsAnError) {
  auto s = open();
  ASSERT_TRUE(s);
  auto r = s->score_series({kT0 + 10, kT0});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
}

// Flows with identity: IPv4 and IPv6 on either side, edge ports, ltime; every third without.
std::vector<model::ScoredFlow> flows_with_identity(size_t n) {
  auto rows = make_flows(n, kT0, 600, 31, "pcap");
  static const std::vector<std::string> kAddresses{"10.0.0.1", "192.168.255.254", "2001:db8::2",
                                                   "::1",      "fe80::1:2",       "0.0.0.0"};
  for (size_t i = 0; i < rows.size(); ++i) {
    auto& f = rows[i].flow;
    rows[i].verdict.label = 1;  // all listed by recent_anomalies
    if (i % 3 == 2) continue;
    f.ltime = *f.stime + 0.25;
    f.srcip = kAddresses[i % kAddresses.size()];
    f.dstip = kAddresses[(i + 2) % kAddresses.size()];
    f.sport = static_cast<int64_t>(i % 2 ? 65535 : 0);
    f.dsport = static_cast<int64_t>(i);
  }
  return rows;
}

TEST_P(StoreTest, IdentityOfIPv4AndIPv6FlowsRoundTrips) {
  auto s = open();
  ASSERT_TRUE(s);
  const auto rows = flows_with_identity(60);
  ASSERT_EQ(*s->write(rows), 60);
  auto listed = s->recent_anomalies({kT0, kT0 + 3600}, 100);
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 60u);
  for (const auto& got : *listed) {
    const auto& want = rows[static_cast<size_t>(got.key.offset)].flow;
    EXPECT_EQ(got.srcip, want.srcip) << got.key.offset;
    EXPECT_EQ(got.dstip, want.dstip) << got.key.offset;
    EXPECT_EQ(got.sport, want.sport) << got.key.offset;
    EXPECT_EQ(got.dsport, want.dsport) << got.key.offset;
    EXPECT_EQ(got.ltime.has_value(), want.ltime.has_value());
    if (got.ltime && want.ltime) {
      EXPECT_DOUBLE_EQ(*got.ltime, *want.ltime);
    }
  }
  auto top = s->top_scores({kT0, kT0 + 3600}, 5);
  ASSERT_TRUE(top.ok());
  for (const auto& got : *top) {
    EXPECT_EQ(got.srcip, rows[static_cast<size_t>(got.key.offset)].flow.srcip);
  }
}

TEST_P(StoreTest, ReplayingFlowsWithIdentityStoresThemOnce) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = flows_with_identity(40);
  ASSERT_EQ(*s->write(std::span(rows).first(20)), 20);
  ASSERT_EQ(*s->write(rows), 20);  // the slow path of PostgreSQL (staging table)
  auto listed = s->recent_anomalies({kT0, kT0 + 3600}, 100);
  ASSERT_EQ(listed->size(), 40u);
  for (const auto& got : *listed) {
    EXPECT_EQ(got.dstip, rows[static_cast<size_t>(got.key.offset)].flow.dstip);
  }
}

TEST_P(StoreTest, AdversarialIdentityIsRefusedBeforeAnythingIsStored) {
  auto s = open();
  ASSERT_TRUE(s);
  for (int c = 0; c < 4; ++c) {
    auto rows = flows_with_identity(10);
    auto& f = rows[4].flow;
    if (c == 0) f.srcip = "not-an-address";
    if (c == 1) f.dstip = std::string("10.0.0.1\0' OR 1=1", 18);
    if (c == 2) f.sport = 70000;
    if (c == 3) f.dsport = -1;
    auto r = s->write(rows);
    ASSERT_FALSE(r.ok()) << c;
    EXPECT_EQ(r.error().code, ErrorCode::kValidation);  // the pipeline isolates it
    EXPECT_NE(r.error().where.find("pcap/1/4"), std::string::npos) << r.error().to_string();
  }
  EXPECT_EQ(*s->count({kT0, kT0 + 3600}), 0);
}

}  // namespace flowsentry::store::testing
