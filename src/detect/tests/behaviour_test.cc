// Host-behaviour detectors on hand-made flow streams: each kind fires on its attack shape and
// stays quiet on the normal traffic that resembles it; state stays bounded under spoofing.
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "detect/behaviour.h"

namespace flowsentry::detect {
namespace {

constexpr double kT0 = 1700000000;

flow::FlowRecord make_flow(double t, const std::string& src, int64_t sport, const std::string& dst,
                           int64_t dport, const std::string& proto, const std::string& state,
                           double spkts, double dpkts) {
  flow::FlowRecord f;
  f.stime = t;
  f.ltime = t + 0.001;
  f.srcip = src;
  f.sport = sport;
  f.dstip = dst;
  f.dsport = dport;
  f.proto = proto;
  f.state = state;
  f[flow::kSpkts] = spkts;
  f[flow::kDpkts] = dpkts;
  f[flow::kSbytes] = spkts * 60;
  f[flow::kDbytes] = dpkts * 60;
  f[flow::kDur] = 0.001;
  return f;
}

std::vector<Alert> feed(BehaviourDetectors& d, const std::vector<flow::FlowRecord>& flows) {
  std::vector<Alert> out;
  for (const auto& f : flows) d.observe(f, out);
  return out;
}

size_t count_kind(const std::vector<Alert>& alerts, const std::string& kind) {
  size_t n = 0;
  for (const auto& a : alerts) n += a.kind == kind;
  return n;
}

TEST(BehaviourTest, SynScanOfManyPortsIsOneVerticalPortScan) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int p = 1; p <= 1000; ++p) {
    flows.push_back(
        make_flow(kT0 + p * 0.001, "10.0.0.66", 40000, "10.0.0.2", p, "tcp", "RST", 1, 1));
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(alerts.size(), 1u);
  const auto& a = alerts[0];
  EXPECT_EQ(a.kind, "port_scan");
  EXPECT_EQ(a.type, "behaviour");
  EXPECT_EQ(a.context, "10.0.0.66");
  EXPECT_EQ(a.key(), "behaviour:port_scan:10.0.0.66");
  EXPECT_EQ(a.payload["evidence"]["scan"], "vertical");
  EXPECT_EQ(a.payload["evidence"]["distinct_ports"], 15);
  EXPECT_EQ(a.payload["hosts"]["dst"], "10.0.0.2");
  EXPECT_EQ(a.payload["evidence"]["examples"].size(), 5u);
  EXPECT_EQ(a.payload["evidence"]["examples"][0]["dsport"], 2);  // a source's first flow: none
  EXPECT_DOUBLE_EQ(a.payload["first_time"].get<double>(), kT0 + 0.001);
  EXPECT_EQ(a.to_json()["kind"], "port_scan");
}

TEST(BehaviourTest, UnansweredUdpProbesAreAPortScan) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int p = 0; p < 100; ++p) {
    flows.push_back(
        make_flow(kT0 + p * 0.5, "10.0.0.66", 50000, "10.0.0.3", 1000 + p * 7, "udp", "INT", 1, 0));
  }
  EXPECT_EQ(count_kind(feed(d, flows), "port_scan"), 1u);
}

TEST(BehaviourTest, HalfOpenProbesOfAFewOpenPortsAreAPortScan) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int port : {21, 22, 53, 80, 8080}) {  // nmap -sS before -sV: SYN, SYN-ACK, RST
    auto f =
        make_flow(kT0 + port * 0.001, "10.0.0.66", 40000, "10.0.0.2", port, "tcp", "RST", 2, 1);
    f[flow::kSynack] = 0.0001;
    flows.push_back(f);
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, "port_scan");
  EXPECT_EQ(alerts[0].payload["evidence"]["scan"], "half_open");
  EXPECT_EQ(alerts[0].payload["evidence"]["half_open_ports"].size(), 4u);
}

TEST(BehaviourTest, OneLongUdpStreamIsNotAFloodButSprayedDatagramsAre) {
  BehaviourDetectors d({});
  auto stream = make_flow(kT0, "10.0.0.5", 5004, "10.0.0.6", 5004, "udp", "INT", 5000, 0);
  EXPECT_TRUE(feed(d, {stream}).empty());
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 2000; ++i) {  // hping3 --udp -p 514: a new source port per datagram
    flows.push_back(
        make_flow(kT0 + i * 0.0005, "10.0.0.66", 1024 + i, "10.0.0.2", 514, "udp", "INT", 1, 0));
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(count_kind(alerts, "flood"), 2u);  // from the source and against the target
  EXPECT_EQ(alerts[0].payload["evidence"]["flood"], "udp");
  EXPECT_EQ(alerts[0].payload["evidence"]["port"], 514);
}

TEST(BehaviourTest, OnePortOnManyHostsIsAHorizontalScan) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int h = 1; h <= 40; ++h) {
    flows.push_back(make_flow(kT0 + h, "10.0.0.66", 40000 + h, fmt::format("10.0.1.{}", h), 445,
                              "tcp", "REQ", 2, 0));
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(count_kind(alerts, "port_scan"), 1u);
  EXPECT_EQ(alerts[0].payload["evidence"]["scan"], "horizontal");
  EXPECT_EQ(alerts[0].payload["evidence"]["port"], 445);
}

TEST(BehaviourTest, BrowsingManyPortsThatAnswerIsNoScan) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 200; ++i) {
    auto f = make_flow(kT0 + i, "10.0.0.5", 40000 + i, fmt::format("10.0.2.{}", i % 60), 443, "tcp",
                       i % 3 ? "FIN" : "RST", 12, 14);
    f[flow::kSbytes] = 1500;
    flows.push_back(f);
  }
  for (int i = 0; i < 50; ++i) {  // DNS answered
    flows.push_back(make_flow(kT0 + i, "10.0.0.5", 30000 + i, "10.0.0.53", 53, "udp", "CON", 1, 1));
  }
  EXPECT_TRUE(feed(d, flows).empty());
}

TEST(BehaviourTest, PingAndArpSweepsAreIcmpSweeps) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int h = 1; h <= 30; ++h) {
    flows.push_back(make_flow(kT0 + h * 0.01, "10.0.0.66", 8, fmt::format("10.0.3.{}", h), 0,
                              "icmp", "ECO", 1, h % 2));
    auto arp = make_flow(kT0 + h * 0.01, "10.0.0.77", 0, fmt::format("10.0.4.{}", h), 0, "arp",
                         "INT", 1, 0);
    arp.arp_sha = "02:00:00:00:00:77";
    arp.arp_tha = "00:00:00:00:00:00";
    flows.push_back(arp);
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(count_kind(alerts, "icmp_sweep"), 2u);
  EXPECT_EQ(alerts[0].context, "10.0.0.66");
  EXPECT_EQ(alerts[1].context, "10.0.0.77");
  EXPECT_EQ(alerts[0].severity, Severity::kWarning);
  EXPECT_EQ(alerts[1].severity, Severity::kInfo);  // ARP alone: routers ask the same way
  EXPECT_EQ(alerts[0].payload["evidence"]["distinct_targets"], 16);
}

TEST(BehaviourTest, ManyShortSshLoginsArePasswordGuessing) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 50; ++i) {
    auto f = make_flow(kT0 + i * 0.5, "10.0.0.66", 41000 + i, "10.0.0.2", 22, "tcp", "FIN", 20, 18);
    f[flow::kDur] = 2.5;
    flows.push_back(f);
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, "password_guessing");
  EXPECT_EQ(alerts[0].context, "10.0.0.66>10.0.0.2:ssh");
  EXPECT_EQ(alerts[0].payload["evidence"]["attempts"], 10);
}

TEST(BehaviourTest, FtpLoginFailuresAreCountedAsEvidence) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 12; ++i) {
    auto f = make_flow(kT0 + i, "10.0.0.66", 41000 + i, "10.0.0.2", 21, "tcp", "FIN", 10, 10);
    f.service = "ftp";
    f[flow::kCtFtpCmd] = 2;
    f[flow::kIsFtpLogin] = 0;
    flows.push_back(f);
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].payload["evidence"]["ftp_failed_logins"], 10);
}

TEST(BehaviourTest, AnSshSessionAndAFewFtpTransfersAreNotGuessing) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 10; ++i) {  // one session: 60 s status records of the same connection
    auto f = make_flow(kT0 + i * 60, "10.0.0.5", 50022, "10.0.0.2", 22, "tcp", "CON", 300, 300);
    f[flow::kDur] = 59.9;
    flows.push_back(f);
  }
  for (int i = 0; i < 5; ++i) {
    auto f = make_flow(kT0 + i * 3, "10.0.0.5", 41000 + i, "10.0.0.2", 21, "tcp", "FIN", 12, 12);
    f[flow::kDur] = 1;
    f[flow::kIsFtpLogin] = 1;
    flows.push_back(f);
  }
  EXPECT_TRUE(feed(d, flows).empty());
}

TEST(BehaviourTest, SpoofedSynFloodIsAFloodOnTheTarget) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 20000; ++i) {
    flows.push_back(make_flow(kT0 + i * 0.0001,
                              fmt::format("172.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
                              1024 + i % 60000, "10.0.0.2", 80, "tcp", "REQ", 1, 0));
  }
  auto alerts = feed(d, flows);
  ASSERT_EQ(count_kind(alerts, "flood"), 1u);
  EXPECT_EQ(alerts[0].context, "syn:to:10.0.0.2");
  EXPECT_EQ(alerts[0].payload["evidence"]["port"], 80);
  EXPECT_EQ(count_kind(alerts, "port_scan"), 0u);
}

TEST(BehaviourTest, OneFlowWithManyPacketsFloodsToo) {
  BehaviourDetectors d({});
  auto icmp = make_flow(kT0, "10.0.0.66", 8, "10.0.0.2", 0, "icmp", "ECO", 90000, 90000);
  auto dhcp = make_flow(kT0, "0.0.0.0", 68, "255.255.255.255", 67, "udp", "INT", 500, 0);
  auto alerts = feed(d, {icmp, dhcp});
  ASSERT_EQ(count_kind(alerts, "flood"), 4u);  // per source and per target, each
  EXPECT_EQ(alerts[0].payload["evidence"]["flood"], "icmp");
  EXPECT_EQ(alerts[3].payload["evidence"]["flood"], "dhcp");
}

TEST(BehaviourTest, FastScanOfManyPortsIsNotAFlood) {
  BehaviourOptions o;
  o.flood_packets = 1000;
  BehaviourDetectors d(o);
  std::vector<flow::FlowRecord> flows;
  for (int p = 1; p <= 5000; ++p) {
    flows.push_back(
        make_flow(kT0 + p * 0.0001, "10.0.0.66", 40000, "10.0.0.2", p, "tcp", "RST", 1, 1));
  }
  auto alerts = feed(d, flows);
  EXPECT_EQ(count_kind(alerts, "flood"), 0u);
  EXPECT_EQ(count_kind(alerts, "port_scan"), 1u);
}

flow::FlowRecord arp(double t, const std::string& spa, const std::string& sha,
                     const std::string& tpa, const std::string& tha) {
  auto f = make_flow(t, spa, 0, tpa, 0, "arp", "INT", 1, 0);
  f.arp_sha = sha;
  f.arp_tha = tha;
  return f;
}

TEST(BehaviourTest, RepeatedUnsolicitedRepliesAreArpSpoofing) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  // arpspoof: "10.0.0.1 is-at <attacker>" to the victim every 2 s (one record of 6 packets).
  auto poison = arp(kT0, "10.0.0.1", "02:00:00:00:00:66", "10.0.0.2", "02:00:00:00:00:02");
  poison[flow::kSpkts] = 6;
  auto alerts = feed(d, {poison});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].kind, "arp_spoofing");
  EXPECT_EQ(alerts[0].context, "02:00:00:00:00:66");
  // The real owner answers too: the IP is now claimed by two MACs.
  auto real = arp(kT0 + 5, "10.0.0.1", "02:00:00:00:00:01", "10.0.0.9", "00:00:00:00:00:00");
  alerts = feed(d, {real});
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].context, "10.0.0.1");
  EXPECT_EQ(alerts[0].payload["evidence"]["macs"].size(), 2u);
}

TEST(BehaviourTest, OrdinaryArpRequestsAndOneAnnouncementAreQuiet) {
  BehaviourDetectors d({});
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 10; ++i) {
    flows.push_back(
        arp(kT0 + i * 30, "10.0.0.5", "02:00:00:00:00:05", "10.0.0.1", "00:00:00:00:00:00"));
  }
  auto garp = arp(kT0, "10.0.0.6", "02:00:00:00:00:06", "10.0.0.6", "ff:ff:ff:ff:ff:ff");
  garp[flow::kIsSmIpsPorts] = 1;
  garp[flow::kSpkts] = 2;
  flows.push_back(garp);
  EXPECT_TRUE(feed(d, flows).empty());
}

TEST(BehaviourTest, FlowsWithoutAddressesAreSkipped) {
  BehaviourDetectors d({});
  std::vector<Alert> out;
  flow::FlowRecord f;  // a UNSW-NB15 training row: no identity
  f.proto = "tcp";
  f.state = "REQ";
  for (int i = 0; i < 100; ++i) d.observe(f, out);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(d.stats().skipped, 100u);
  EXPECT_EQ(d.stats().entries, 0u);
}

TEST(BehaviourTest, AdversarialSpoofedSourcesKeepStateBounded) {
  BehaviourOptions o;
  o.max_hosts = 1000;
  BehaviourDetectors d(o);
  std::vector<Alert> out;
  for (int i = 0; i < 200000; ++i) {  // every flow from a new source, to a new port, all failed
    auto f = make_flow(
        kT0 + i * 1e-5,
        fmt::format("{}.{}.{}.{}", 1 + (i >> 24 & 127), i >> 16 & 255, i >> 8 & 255, i & 255),
        1024 + i % 60000, fmt::format("10.9.{}.{}", i >> 8 & 255, i & 255), i % 65536,
        i % 2 ? "tcp" : "udp", "INT", 1, 0);
    d.observe(f, out);
  }
  const auto s = d.stats();
  // scan + flood (source, target) + beacon tables, each capped at 1000.
  EXPECT_LE(s.entries, 5u * 1000);
  EXPECT_LT(s.approx_bytes, 5u * 1000 * 2048);
  const double evicted =
      MetricsRegistry::global()
          .counter("flowsentry_detector_evictions_total", "", {{"detector", "port_scan"}})
          .value();
  EXPECT_GE(evicted, 199000);
}

TEST(BehaviourTest, StateIsForgottenAfterItsWindowInEventTime) {
  BehaviourDetectors d({});
  std::vector<Alert> out;
  for (int p = 1; p <= 10; ++p) {
    d.observe(make_flow(kT0 + p, "10.0.0.66", 40000, "10.0.0.2", p, "tcp", "REQ", 1, 0), out);
  }
  // The same probes an hour later start a new window: still under the threshold.
  for (int p = 11; p <= 20; ++p) {
    d.observe(make_flow(kT0 + 3600 + p, "10.0.0.66", 40000, "10.0.0.2", p, "tcp", "REQ", 1, 0),
              out);
  }
  EXPECT_EQ(count_kind(out, "port_scan"), 0u);
}

TEST(BehaviourTest, SettingsTableDefaultsAreTheOptionsDefaults) {
  const auto o = behaviour_options(Config{});
  const BehaviourOptions d;
  EXPECT_EQ(o.enabled, d.enabled);
  EXPECT_EQ(o.max_hosts, d.max_hosts);
  EXPECT_EQ(o.max_examples, d.max_examples);
  EXPECT_EQ(o.scan_window_s, d.scan_window_s);
  EXPECT_EQ(o.scan_ports, d.scan_ports);
  EXPECT_EQ(o.scan_hosts, d.scan_hosts);
  EXPECT_EQ(o.scan_half_open_ports, d.scan_half_open_ports);
  EXPECT_EQ(o.sweep_window_s, d.sweep_window_s);
  EXPECT_EQ(o.sweep_hosts, d.sweep_hosts);
  EXPECT_EQ(o.password_window_s, d.password_window_s);
  EXPECT_EQ(o.password_attempts, d.password_attempts);
  EXPECT_EQ(o.password_http_attempts, d.password_http_attempts);
  EXPECT_EQ(o.password_max_duration_s, d.password_max_duration_s);
  EXPECT_EQ(o.flood_window_s, d.flood_window_s);
  EXPECT_EQ(o.flood_packets, d.flood_packets);
  EXPECT_EQ(o.flood_dhcp_packets, d.flood_dhcp_packets);
  EXPECT_EQ(o.arp_window_s, d.arp_window_s);
  EXPECT_EQ(o.arp_unsolicited, d.arp_unsolicited);
  EXPECT_EQ(o.beacon_min_connections, d.beacon_min_connections);
  EXPECT_EQ(o.beacon_min_score, d.beacon_min_score);
  EXPECT_EQ(o.beacon_idle_s, d.beacon_idle_s);
  EXPECT_EQ(o.beacon_ignore_ports, d.beacon_ignore_ports);
}

}  // namespace
}  // namespace flowsentry::detect
