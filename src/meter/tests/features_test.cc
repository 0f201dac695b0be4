#include "meter/features.h"

#include <cmath>

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

}  // namespace
}  // namespace flowsentry::meter
