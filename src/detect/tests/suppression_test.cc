#include "detect/suppression.h"

#include <gtest/gtest.h>

namespace flowsentry::detect {
namespace {

constexpr double kNow = 1'700'000'000;

Alert scan_alert(const std::string& src, int64_t port) {
  Alert a;
  a.type = "behaviour";
  a.kind = "port_scan";
  a.context = src;
  a.payload = {{"hosts", {{"src", src}, {"dst", {"10.0.0.7", "10.0.0.8"}}}},
               {"evidence", {{"port", port}, {"service", "ssh"}}}};
  return a;
}

Alert single_flow(const std::string& src, const std::string& dst, int64_t dport) {
  Alert a;
  a.type = "anomaly";
  a.context = "tcp/http/FIN";
  a.payload = {{"flow", {{"srcip", src}, {"dstip", dst}, {"dsport", dport}, {"service", "http"}}}};
  return a;
}

SuppressionRule rule(int64_t id) {
  SuppressionRule r;
  r.id = id;
  r.expires = kNow + 3600;
  return r;
}

TEST(SuppressionTest, RuleOnSourceCidrMatchesAlertsFromInsideIt) {
  auto r = rule(1);
  r.src = "192.168.1.0/24";
  Suppressions s;
  ASSERT_EQ(s.set({r}), 0u);
  EXPECT_EQ(s.match(scan_alert("192.168.1.20", 22), kNow), 1);
  EXPECT_FALSE(s.match(scan_alert("192.168.2.20", 22), kNow));
}

TEST(SuppressionTest, EveryGivenFieldMustMatch) {
  auto r = rule(2);
  r.kind = "port_scan";
  r.port = 22;
  Suppressions s;
  s.set({r});
  EXPECT_EQ(s.match(scan_alert("10.1.1.1", 22), kNow), 2);
  EXPECT_FALSE(s.match(scan_alert("10.1.1.1", 23), kNow));
  EXPECT_FALSE(s.match(single_flow("10.1.1.1", "10.0.0.1", 22), kNow));  // another kind
}

TEST(SuppressionTest, ServiceAndDestinationOfASingleFlowAlert) {
  auto r = rule(3);
  r.service = "http";
  r.dst = "10.0.0.1";
  Suppressions s;
  s.set({r});
  EXPECT_EQ(s.match(single_flow("10.9.9.9", "10.0.0.1", 80), kNow), 3);
  EXPECT_FALSE(s.match(single_flow("10.9.9.9", "10.0.0.2", 80), kNow));
}

TEST(SuppressionTest, AnAlertNamingAnyHostOutsideTheRuleIsKept) {
  auto r = rule(4);
  r.dst = "10.0.0.7";  // the scan also names 10.0.0.8
  Suppressions s;
  s.set({r});
  EXPECT_FALSE(s.match(scan_alert("10.1.1.1", 22), kNow));
  r.dst = "10.0.0.0/28";
  s.set({r});
  EXPECT_EQ(s.match(scan_alert("10.1.1.1", 22), kNow), 4);
}

TEST(SuppressionTest, ExpiredRuleStopsMatching) {
  auto r = rule(5);
  r.kind = "port_scan";
  Suppressions s;
  s.set({r});
  EXPECT_EQ(s.match(scan_alert("10.1.1.1", 22), r.expires - 1), 5);
  EXPECT_FALSE(s.match(scan_alert("10.1.1.1", 22), r.expires));
}

TEST(SuppressionTest, RulesWithoutFieldsOrWithBadAddressesAreLeftOut) {
  auto empty = rule(6);
  auto bad = rule(7);
  bad.src = "10.0.0.0/33";
  Suppressions s;
  EXPECT_EQ(s.set({empty, bad}), 2u);
  EXPECT_EQ(s.size(), 0u);
  EXPECT_FALSE(s.match(scan_alert("10.1.1.1", 22), kNow));
}

TEST(SuppressionTest, KeepsAtMostMaxRules) {
  std::vector<SuppressionRule> rules;
  for (int i = 0; i < 5; ++i) {
    rules.push_back(rule(i + 1));
    rules.back().port = 1000 + i;
  }
  Suppressions s(3);
  EXPECT_EQ(s.set(rules), 2u);
  EXPECT_EQ(s.size(), 3u);
  EXPECT_FALSE(s.match(single_flow("1.1.1.1", "2.2.2.2", 1004), kNow));
  EXPECT_EQ(s.match(single_flow("1.1.1.1", "2.2.2.2", 1002), kNow), 3);
}

TEST(SuppressionTest, ParsesIpv6AndMappedBlocks) {
  auto b = parse_address_block("2001:db8::/32");
  ASSERT_TRUE(b);
  EXPECT_TRUE(parse_address_block("::ffff:10.0.0.0/104"));
  EXPECT_FALSE(parse_address_block("10.0.0.0/"));
  EXPECT_FALSE(parse_address_block("host/8"));
  auto r = rule(8);
  r.src = "2001:db8::/32";
  Suppressions s;
  s.set({r});
  EXPECT_EQ(s.match(single_flow("2001:db8::5", "::1", 1), kNow), 8);
}

TEST(SuppressionTest, AdversarialDeepPayloadIsReadBounded) {
  Alert a = single_flow("10.0.0.1", "10.0.0.2", 80);
  nlohmann::json deep = {{"port", 9}};
  for (int i = 0; i < 1000; ++i) {
    auto outer = nlohmann::json::array();
    outer.push_back(std::move(deep));
    deep = std::move(outer);
  }
  a.payload["junk"] = deep;
  auto facts = alert_facts(a);
  EXPECT_EQ(facts.ports, std::vector<int64_t>{80});  // the deep port is past the depth bound
}

}  // namespace
}  // namespace flowsentry::detect
