#include "meter/features.h"

#include <arpa/inet.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace flowsentry::meter {
namespace {

TEST(FeaturesTest, IntpktAndJitterOfActiveIntervalsOnly) {
  DirState d;
  for (int64_t us : {1000, 3000}) d.act.add(us);
  EXPECT_NEAR(argus_intpkt_ms(d), 2.0, 1e-9);
  EXPECT_NEAR(argus_jitter_ms(d), 1.0, 1e-9);  // population standard deviation, in ms
}

TEST(FeaturesTest, JitterMixingActiveAndIdleReproducesArgusUnits) {
  DirState d;
  d.act.add(1000);
  d.idle.add(3000);
  // Argus: sumsqrd = (1000² + 3000²) / 1000 = 10000, mean = 2 ms: sqrt(10000/2 - 4) = 70.68
  EXPECT_NEAR(argus_intpkt_ms(d), 2.0, 1e-9);
  EXPECT_NEAR(argus_jitter_ms(d), std::sqrt(5000.0 - 4.0), 1e-6);
}

TEST(FeaturesTest, EmptyDirectionHasNoTimes) {
  DirState d;
  EXPECT_EQ(argus_intpkt_ms(d), 0);
  EXPECT_EQ(argus_jitter_ms(d), 0);
}

TEST(FeaturesTest, CtStateTtlLookup) {
  EXPECT_EQ(ct_state_ttl("FIN", 62, 252), 1);
  EXPECT_EQ(ct_state_ttl("INT", 254, 0), 2);
  EXPECT_EQ(ct_state_ttl("CON", 62, 60), 3);
  EXPECT_EQ(ct_state_ttl("ACC", 254, 252), 4);
  EXPECT_EQ(ct_state_ttl("CLO", 1, 2), 5);
  EXPECT_EQ(ct_state_ttl("REQ", 254, 0), 6);
  EXPECT_EQ(ct_state_ttl("FIN", 64, 64), 0);
}

TEST(FeaturesTest, CtWindowCountsTheLastRecordsOnly) {
  CtWindow w(2);
  flow::FlowRecord a;
  a.srcip = "1.1.1.1";
  a.dstip = "2.2.2.2";
  a.sport = 1;
  a.dsport = 80;
  a.service = "http";
  w.apply(a);
  EXPECT_EQ(a[flow::kCtSrcLtm], 1);
  flow::FlowRecord b = a;
  w.apply(b);
  EXPECT_EQ(b[flow::kCtSrcLtm], 2);
  EXPECT_EQ(b[flow::kCtSrvDst], 2);
  flow::FlowRecord c = a;
  c.srcip = "3.3.3.3";
  w.apply(c);  // the window now holds b and c
  EXPECT_EQ(c[flow::kCtSrcLtm], 1);
  EXPECT_EQ(c[flow::kCtDstLtm], 2);
  EXPECT_EQ(c[flow::kCtSrvSrc], 1);
}

TEST(FeaturesTest, AddressFormatting) {
  Address a{};
  a[0] = 192;
  a[1] = 168;
  a[3] = 1;
  EXPECT_EQ(format_address(a, Network::kIpv4), "192.168.0.1");
  Address b{};
  b[0] = 0x20;
  b[1] = 0x01;
  b[15] = 1;
  EXPECT_EQ(format_address(b, Network::kIpv6), "2001::1");
}

TEST(FeaturesTest, Ipv4FormattingMatchesInetNtopForEveryOctet) {
  for (int v = 0; v < 256; ++v) {
    Address a{};
    a[0] = static_cast<uint8_t>(v);
    a[1] = static_cast<uint8_t>(255 - v);
    a[2] = static_cast<uint8_t>(v / 3);
    a[3] = static_cast<uint8_t>(v);
    char want[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, a.data(), want, sizeof(want));
    EXPECT_EQ(format_address(a, Network::kIpv4), want);
    EXPECT_EQ(format_address(a, Network::kArp), want);
  }
}

// The window's counts equal a plain recount over the last N records, for records drawn from
// a few repeating addresses, services and ports (ids must follow texts in and out of it).
TEST(FeaturesTest, CtWindowCountsEqualARecountOfTheLastRecords) {
  const std::vector<std::string> addrs{"10.0.0.1", "10.0.0.2", "10.0.0.3", "::1", ""};
  const std::vector<std::string> services{"-", "http", "dns"};
  constexpr size_t kWindow = 7;
  CtWindow w(kWindow);
  std::mt19937 rng(7);
  std::vector<flow::FlowRecord> seen;
  for (int i = 0; i < 2000; ++i) {
    flow::FlowRecord r;
    if (const auto& a = addrs[rng() % addrs.size()]; !a.empty()) r.srcip = a;
    if (const auto& a = addrs[rng() % addrs.size()]; !a.empty()) r.dstip = a;
    r.service = services[rng() % services.size()];
    r.sport = rng() % 3;
    r.dsport = rng() % 3;
    w.apply(r);
    seen.push_back(r);
    int src = 0, dst = 0, srv_src = 0, srv_dst = 0, src_dport = 0, dst_sport = 0, dst_src = 0;
    for (size_t k = seen.size() > kWindow ? seen.size() - kWindow : 0; k < seen.size(); ++k) {
      const auto& o = seen[k];
      const bool same_src = o.srcip.value_or("") == r.srcip.value_or("");
      const bool same_dst = o.dstip.value_or("") == r.dstip.value_or("");
      const bool same_srv = o.service == r.service;
      src += same_src;
      dst += same_dst;
      srv_src += same_srv && same_src;
      srv_dst += same_srv && same_dst;
      src_dport += same_src && o.dsport == r.dsport;
      dst_sport += same_dst && o.sport == r.sport;
      dst_src += same_src && same_dst;
    }
    ASSERT_EQ(r[flow::kCtSrcLtm], src) << i;
    ASSERT_EQ(r[flow::kCtDstLtm], dst) << i;
    ASSERT_EQ(r[flow::kCtSrvSrc], srv_src) << i;
    ASSERT_EQ(r[flow::kCtSrvDst], srv_dst) << i;
    ASSERT_EQ(r[flow::kCtSrcDportLtm], src_dport) << i;
    ASSERT_EQ(r[flow::kCtDstSportLtm], dst_sport) << i;
    ASSERT_EQ(r[flow::kCtDstSrcLtm], dst_src) << i;
  }
}

}  // namespace
}  // namespace flowsentry::meter
