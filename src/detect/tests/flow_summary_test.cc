// Flow summaries (what workers send the alerter's target-keyed detectors) and the behaviour
// scopes that split the detectors between workers and the alerter.
#include "detect/flow_summary.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "detect/behaviour.h"

namespace flowsentry::detect {
namespace {

constexpr double kT0 = 1700000000.25;

flow::FlowRecord make_flow(const std::string& src, const std::string& dst, int64_t dport,
                           const std::string& proto, const std::string& state, double spkts,
                           double dpkts) {
  flow::FlowRecord f;
  f.stime = kT0;
  f.ltime = kT0 + 0.5;
  f.srcip = src;
  f.sport = 40000;
  f.dstip = dst;
  f.dsport = dport;
  f.proto = proto;
  f.state = state;
  f.service = "http";
  f[flow::kSpkts] = spkts;
  f[flow::kDpkts] = dpkts;
  f[flow::kSbytes] = spkts * 60;
  f[flow::kDbytes] = dpkts * 60;
  f[flow::kSttl] = 64;  // not carried
  return f;
}

flow::FlowRecord arp_reply() {
  auto f = make_flow("10.0.0.1", "10.0.0.2", 0, "arp", "INT", 6, 0);
  f.sport.reset();
  f.dsport.reset();
  f.arp_sha = "02:00:00:00:00:66";
  f.arp_tha = "02:00:00:00:00:02";
  return f;
}

std::string message_of(const std::vector<flow::FlowRecord>& flows) {
  std::string body;
  for (const auto& f : flows) encode_summary(f, body);
  return summary_message(body, flows.size());
}

std::vector<flow::FlowRecord> decode_ok(const std::string& message) {
  std::vector<flow::FlowRecord> out;
  std::string reason;
  EXPECT_TRUE(decode_summaries(message, out, reason)) << reason;
  return out;
}

void expect_same_summary(const flow::FlowRecord& a, const flow::FlowRecord& b) {
  EXPECT_EQ(a.stime, b.stime);
  ASSERT_TRUE(a.ltime.has_value() && b.ltime.has_value());
  EXPECT_NEAR(*a.ltime, *b.ltime, 1e-6);
  EXPECT_EQ(a.srcip, b.srcip);
  EXPECT_EQ(a.dstip, b.dstip);
  EXPECT_EQ(a.sport, b.sport);
  EXPECT_EQ(a.dsport, b.dsport);
  EXPECT_EQ(a.proto, b.proto);
  EXPECT_EQ(a.state, b.state);
  for (auto field :
       {flow::kSpkts, flow::kDpkts, flow::kSbytes, flow::kDbytes, flow::kIsSmIpsPorts}) {
    EXPECT_EQ(a[field], b[field]) << flow::kNumFields[field].name;
  }
  EXPECT_EQ(a.arp_sha, b.arp_sha);
  EXPECT_EQ(a.arp_tha, b.arp_tha);
}

TEST(FlowSummaryTest, AFlowComesBackWithTheFieldsTheDetectorsRead) {
  auto tcp = make_flow("172.16.4.9", "10.0.0.2", 80, "tcp", "REQ", 2, 0);
  auto v6 = make_flow("2001:db8::1", "2001:db8::2", 53, "udp", "INT", 30, 0);
  auto named = make_flow("host-a", "host-b", 443, "tcp", "INT", 1, 0);           // not an address
  auto padded = make_flow("010.0.0.1", "2001:DB8::2", 443, "tcp", "INT", 1, 0);  // kept as sent
  auto garp = arp_reply();
  garp[flow::kIsSmIpsPorts] = 1;
  std::vector<flow::FlowRecord> flows{tcp, v6, named, padded, garp};
  auto back = decode_ok(message_of(flows));
  ASSERT_EQ(back.size(), flows.size());
  for (size_t i = 0; i < flows.size(); ++i) expect_same_summary(flows[i], back[i]);
  EXPECT_EQ(back[0].service, "-");  // the service and the other features are not carried
  EXPECT_EQ(back[0][flow::kSttl], 0);
}

TEST(FlowSummaryTest, SummariesAreCompact) {
  std::string body;
  encode_summary(make_flow("172.16.4.9", "10.0.0.2", 80, "tcp", "REQ", 2, 0), body);
  EXPECT_LE(body.size(), 48u);
  body.clear();
  encode_summary(arp_reply(), body);
  EXPECT_LE(body.size(), 60u);
}

TEST(FlowSummaryTest, OptionalFieldsStayAbsent) {
  flow::FlowRecord f;
  f.stime = kT0;
  f.srcip = "10.0.0.1";
  f.dstip = "10.0.0.2";
  f.proto = "icmp";
  auto back = decode_ok(message_of({f}));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_FALSE(back[0].ltime || back[0].sport || back[0].dsport || back[0].arp_sha);
}

TEST(FlowSummaryTest, OnlyTargetKeyedShapesAreSummarised) {
  EXPECT_TRUE(target_keyed_shape(make_flow("1.1.1.1", "10.0.0.2", 80, "tcp", "REQ", 1, 0)));
  EXPECT_TRUE(target_keyed_shape(make_flow("1.1.1.1", "10.0.0.2", 9, "udp", "INT", 30, 0)));
  EXPECT_TRUE(target_keyed_shape(make_flow("1.1.1.1", "10.0.0.2", 0, "icmp", "ECO", 1, 1)));
  EXPECT_TRUE(target_keyed_shape(make_flow("0.0.0.0", "255.255.255.255", 67, "udp", "CON", 1, 1)));
  EXPECT_TRUE(target_keyed_shape(arp_reply()));
  EXPECT_FALSE(target_keyed_shape(make_flow("1.1.1.1", "10.0.0.2", 80, "tcp", "FIN", 9, 8)));
  EXPECT_FALSE(target_keyed_shape(make_flow("1.1.1.1", "10.0.0.2", 53, "udp", "CON", 1, 1)));
  auto request = arp_reply();
  request.arp_tha = "00:00:00:00:00:00";  // an ordinary request
  EXPECT_FALSE(target_keyed_shape(request));
  EXPECT_EQ(target_key(arp_reply()), "02:00:00:00:00:66");
  EXPECT_EQ(target_key(make_flow("1.1.1.1", "10.0.0.2", 80, "tcp", "REQ", 1, 0)), "10.0.0.2");
}

std::vector<flow::FlowRecord> spoofed_syn_flood(int flows) {
  std::vector<flow::FlowRecord> out;
  for (int i = 0; i < flows; ++i) {
    auto f = make_flow(fmt::format("172.16.{}.{}", i >> 8 & 255, i & 255), "10.0.0.2", 80, "tcp",
                       "REQ", 1, 0);
    f.stime = kT0 + i * 0.001;
    f.ltime = f.stime;
    out.push_back(f);
  }
  return out;
}

std::vector<Alert> feed(BehaviourDetectors& d, const std::vector<flow::FlowRecord>& flows) {
  std::vector<Alert> out;
  for (const auto& f : flows) d.observe(f, out);
  return out;
}

BehaviourOptions scoped(BehaviourScope scope) {
  BehaviourOptions o;
  o.scope = scope;
  return o;
}

TEST(BehaviourScopeTest, SourceKeyedScopeLeavesTheTargetFloodToTheAlerter) {
  BehaviourDetectors worker(scoped(BehaviourScope::kSourceKeyed));
  EXPECT_TRUE(feed(worker, spoofed_syn_flood(2000)).empty());
  BehaviourDetectors alerter(scoped(BehaviourScope::kTargetKeyed));
  const auto flood = spoofed_syn_flood(2000);
  std::vector<Alert> alerts;
  for (size_t at = 0; at < flood.size(); at += kMaxSummariesPerMessage) {
    std::vector<flow::FlowRecord> chunk(
        flood.begin() + static_cast<std::ptrdiff_t>(at),
        flood.begin() +
            static_cast<std::ptrdiff_t>(std::min(flood.size(), at + kMaxSummariesPerMessage)));
    for (auto& a : feed(alerter, decode_ok(message_of(chunk)))) alerts.push_back(a);
  }
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].key(), "behaviour:flood:syn:to:10.0.0.2");
}

TEST(BehaviourScopeTest, TargetKeyedScopeRunsNoSourceKeyedDetector) {
  BehaviourDetectors alerter(scoped(BehaviourScope::kTargetKeyed));
  std::vector<flow::FlowRecord> scan;
  for (int p = 1; p <= 200; ++p) {
    scan.push_back(make_flow("10.0.0.66", "10.0.0.2", p, "tcp", "REQ", 1, 0));
  }
  EXPECT_TRUE(feed(alerter, scan).empty());  // a port scan is the worker's
  BehaviourDetectors all({});
  EXPECT_EQ(feed(all, scan).size(), 1u);
}

TEST(BehaviourScopeTest, TheArpReplyStormMovesToTheAlerterAndTheClaimsStay) {
  BehaviourDetectors worker(scoped(BehaviourScope::kSourceKeyed));
  BehaviourDetectors alerter(scoped(BehaviourScope::kTargetKeyed));
  EXPECT_TRUE(feed(worker, {arp_reply()}).empty());
  auto storm = feed(alerter, decode_ok(message_of({arp_reply()})));
  ASSERT_EQ(storm.size(), 1u);
  EXPECT_EQ(storm[0].context, "02:00:00:00:00:66");
  auto owner = arp_reply();
  owner.arp_sha = "02:00:00:00:00:01";
  auto claims = feed(worker, {owner});  // 10.0.0.1 now claimed by two MACs
  ASSERT_EQ(claims.size(), 1u);
  EXPECT_EQ(claims[0].context, "10.0.0.1");
}

// ---- hostile input: refused with a reason, never read past the end, nothing half-decoded.

std::string refuse(std::string_view message) {
  std::vector<flow::FlowRecord> out{flow::FlowRecord{}};
  std::string reason;
  EXPECT_FALSE(decode_summaries(message, out, reason));
  EXPECT_EQ(out.size(), 1u);  // what was there before, nothing more
  return reason;
}

TEST(FlowSummaryAdversarialTest, EveryTruncationIsRefused) {
  const auto message =
      message_of({make_flow("172.16.4.9", "10.0.0.2", 80, "tcp", "REQ", 2, 0), arp_reply()});
  for (size_t n = 0; n < message.size(); ++n) {
    EXPECT_FALSE(refuse(message.substr(0, n)).empty()) << n;
  }
  EXPECT_EQ(refuse(message + "x"), "trailing_bytes");
}

TEST(FlowSummaryAdversarialTest, BadHeadersAndValuesAreNamed) {
  const auto good = message_of({make_flow("172.16.4.9", "10.0.0.2", 80, "tcp", "REQ", 2, 0)});
  EXPECT_EQ(refuse(""), "empty");
  auto v = good;
  v[0] = 9;
  EXPECT_EQ(refuse(v), "bad_version");
  EXPECT_EQ(refuse(std::string("\x01\x00", 2)), "bad_count");
  EXPECT_EQ(refuse(std::string("\x01\xff\x7f", 3)), "bad_count");  // 16,383 claimed
  EXPECT_EQ(refuse(std::string("\x01\x01\xc0", 3)), "bad_flags");
  auto nan = good;
  const double bad = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(nan.data() + 3, &bad, sizeof bad);
  EXPECT_EQ(refuse(nan), "bad_number");
  // Raw bytes in a protocol name or a text address would end up in alert JSON.
  auto proto = good;
  proto[proto.find("tcp") + 1] = '\x01';
  EXPECT_EQ(refuse(proto), "bad_text");
  auto named = message_of({make_flow("host-a", "10.0.0.2", 80, "tcp", "REQ", 2, 0)});
  named[named.find("host-a") + 3] = '\xc3';
  EXPECT_EQ(refuse(named), "bad_text");
}

TEST(FlowSummaryAdversarialTest, OddFlowsStillEncodeToMessagesTheAlerterAccepts) {
  auto odd = make_flow("caf\xc3\xa9", "10.0.0.2", 70000000000, "t\x01p", "REQ", 2, 0);
  odd.stime = std::numeric_limits<double>::infinity();
  odd.ltime = 1e300;
  odd[flow::kSpkts] = std::numeric_limits<double>::quiet_NaN();
  odd[flow::kSbytes] = 1e300;
  auto back =
      decode_ok(message_of({odd, make_flow("1.1.1.1", "10.0.0.2", 80, "tcp", "REQ", 1, 0)}));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].srcip, "caf??");
  EXPECT_EQ(back[0].proto, "t?p");
  EXPECT_FALSE(back[0].dsport.has_value());
  EXPECT_FALSE(back[0].ltime.has_value());
  EXPECT_EQ(back[0][flow::kSpkts], 0);
}

TEST(FlowSummaryAdversarialTest, RandomBytesNeverCrashAndDecodeBounded) {
  std::mt19937_64 rng(7);
  const auto good =
      message_of({make_flow("172.16.4.9", "10.0.0.2", 80, "tcp", "REQ", 2, 0), arp_reply()});
  size_t decoded = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = good;
    for (int k = 0; k < 3; ++k) m[rng() % m.size()] = static_cast<char>(rng());
    if (i % 2) m.resize(rng() % (m.size() + 1));
    std::vector<flow::FlowRecord> out;
    std::string reason;
    if (decode_summaries(m, out, reason)) {
      ++decoded;
      EXPECT_LE(out.size(), kMaxSummariesPerMessage);
      BehaviourDetectors d({});
      for (const auto& f : out) {
        std::vector<Alert> alerts;
        d.observe(f, alerts);
        for (const auto& a : alerts) (void)a.to_json().dump();  // valid UTF-8 all the way
      }
    } else {
      EXPECT_FALSE(reason.empty());
    }
  }
  EXPECT_GT(decoded, 0u);  // mutations inside values decode: they are data, not errors
}

}  // namespace
}  // namespace flowsentry::detect
