// Feature values on crafted traffic. Every expected number below was also produced by
// argus 3.0.8.2 (argus -X -S 60 -J, ra -p 6) on the same packets (meter_gen_pcaps writes them),
// except where a comment says the data set's convention differs from Argus's printout.
#include "meter/meter.h"

#include <algorithm>
#include <map>
#include <string>

#include <gtest/gtest.h>

#include "flow/csv.h"
#include "meter/probe.h"
#include "meter/tests/scenarios.h"

namespace flowsentry::meter {
namespace {

using flow::FlowRecord;
namespace t = testing;

std::vector<FlowRecord> run(const std::vector<t::Frame>& frames, MeterSettings s = {}) {
  Meter m(s);
  for (const auto& f : frames) m.add(f.packet());
  m.finish();
  std::vector<FlowRecord> out;
  m.take(out);
  return out;
}

TEST(MeterTest, HandshakeRequestResponseAndFinClose) {
  auto recs = run(t::tcp_handshake_close());
  ASSERT_EQ(recs.size(), 1u);
  const FlowRecord& r = recs[0];
  EXPECT_EQ(*r.srcip, "10.0.0.1");
  EXPECT_EQ(*r.sport, 40000);
  EXPECT_EQ(*r.dstip, "10.0.0.2");
  EXPECT_EQ(*r.dsport, 80);
  EXPECT_DOUBLE_EQ(*r.stime, 1700000000.0);
  EXPECT_DOUBLE_EQ(*r.ltime, 1700000000.005);
  EXPECT_EQ(r.proto, "tcp");
  EXPECT_EQ(r.state, "FIN");
  EXPECT_EQ(r.service, "http");
  EXPECT_DOUBLE_EQ(r[flow::kDur], 0.005);
  EXPECT_EQ(r[flow::kSpkts], 6);
  EXPECT_EQ(r[flow::kDpkts], 4);
  EXPECT_EQ(r[flow::kSbytes], 355);  // wire bytes, Ethernet header included
  EXPECT_EQ(r[flow::kDbytes], 263);
  EXPECT_NEAR(r[flow::kRate], 1800, 1e-9);
  EXPECT_EQ(r[flow::kSttl], 64);
  EXPECT_EQ(r[flow::kDttl], 63);
  EXPECT_NEAR(r[flow::kSload], 473600, 0.1);
  EXPECT_NEAR(r[flow::kDload], 316800, 0.1);
  EXPECT_EQ(r[flow::kSloss], 0);
  EXPECT_EQ(r[flow::kDloss], 0);
  EXPECT_NEAR(r[flow::kSinpkt], 1.0, 1e-9);
  EXPECT_NEAR(r[flow::kDinpkt], 1.6, 1e-6);
  // Both directions mix "active" and "idle" intervals: Argus's mixed-unit jitter.
  EXPECT_NEAR(r[flow::kSjit], 0.654217, 1e-6);
  EXPECT_NEAR(r[flow::kDjit], 0.588784, 1e-6);
  EXPECT_EQ(r[flow::kSwin], 255);  // Argus prints 64128 (501 << 7); UNSW-NB15 writes 255
  EXPECT_EQ(r[flow::kDwin], 255);
  EXPECT_EQ(r[flow::kStcpb], 1000);
  EXPECT_EQ(r[flow::kDtcpb], 5000);
  EXPECT_NEAR(r[flow::kSynack], 0.0001, 1e-12);
  EXPECT_NEAR(r[flow::kAckdat], 0.0002, 1e-12);
  EXPECT_NEAR(r[flow::kTcprtt], 0.0003, 1e-12);
  EXPECT_EQ(r[flow::kSmean], 59);  // 59.17 rounded
  EXPECT_EQ(r[flow::kDmean], 66);  // 65.75 rounded
  EXPECT_EQ(r[flow::kTransDepth], 1);
  EXPECT_EQ(r[flow::kResponseBodyLen], 5);
  EXPECT_EQ(r[flow::kIsSmIpsPorts], 0);
}

TEST(MeterTest, SynAnsweredByResetIsRst) {
  auto recs = run(t::tcp_rejected());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].state, "RST");
  EXPECT_EQ(recs[0][flow::kSpkts], 1);
  EXPECT_EQ(recs[0][flow::kDpkts], 1);
  EXPECT_NEAR(recs[0][flow::kRate], 20000, 1e-6);
  EXPECT_EQ(recs[0][flow::kSwin], 255);
  EXPECT_EQ(recs[0][flow::kDwin], 0);  // the RST advertised no window
  EXPECT_EQ(recs[0][flow::kStcpb], 7000);
  EXPECT_EQ(recs[0].service, "-");
}

TEST(MeterTest, RetransmittedSynsAreLossesOfARequest) {
  auto recs = run(t::tcp_syn_retransmitted());
  ASSERT_EQ(recs.size(), 1u);
  const FlowRecord& r = recs[0];
  EXPECT_EQ(r.state, "REQ");
  EXPECT_EQ(r[flow::kSpkts], 3);
  EXPECT_EQ(r[flow::kSloss], 2);
  EXPECT_NEAR(r[flow::kSinpkt], 1500, 1e-6);
  EXPECT_NEAR(r[flow::kSjit], 500, 1e-3);
  EXPECT_NEAR(r[flow::kSload], 288, 1e-6);
  EXPECT_EQ(r[flow::kDttl], 0);  // empty direction
  EXPECT_EQ(r.service, "-");     // no payload: no port guess
}

TEST(MeterTest, RetransmittedSegmentIsOneLoss) {
  auto recs = run(t::tcp_data_retransmitted());
  ASSERT_EQ(recs.size(), 1u);
  const FlowRecord& r = recs[0];
  EXPECT_EQ(r.state, "FIN");
  EXPECT_EQ(r[flow::kSloss], 1);
  EXPECT_EQ(r[flow::kDloss], 0);
  EXPECT_NEAR(r[flow::kSinpkt], 60.04, 1e-6);
  EXPECT_NEAR(r[flow::kSjit], 79.895148, 1e-5);
  EXPECT_NEAR(r[flow::kDjit], 50.3, 1e-5);
  EXPECT_NEAR(r[flow::kSload], 11645.570312, 1e-3);
  EXPECT_NEAR(r[flow::kDload], 2878.081299, 1e-3);
  EXPECT_EQ(r[flow::kSmean], 87);
}

TEST(MeterTest, EachEchoPairIsOneIcmpFlow) {
  auto recs = run(t::icmp_echo());
  ASSERT_EQ(recs.size(), 4u);
  for (const auto& r : recs) {
    EXPECT_EQ(r.proto, "icmp");
    EXPECT_EQ(r.state, "ECO");
    EXPECT_EQ(r[flow::kSpkts], 1);
    EXPECT_EQ(r[flow::kDpkts], 1);
    EXPECT_EQ(r[flow::kSbytes], 98);
    EXPECT_EQ(r[flow::kDttl], 254);
    EXPECT_NEAR(r[flow::kDur], 0.00025, 1e-9);
  }
  EXPECT_DOUBLE_EQ(*recs[2].stime, 1700000002.003);
}

TEST(MeterTest, PortUnreachableIsUrp) {
  auto recs = run(t::icmp_unreachable());
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].proto, "udp");
  EXPECT_EQ(recs[0].state, "INT");
  EXPECT_EQ(recs[1].proto, "icmp");
  EXPECT_EQ(recs[1].state, "URP");
  EXPECT_EQ(recs[1][flow::kSttl], 255);
  EXPECT_EQ(*recs[1].sport, 3);  // ICMP type and code stand in for the ports
  EXPECT_EQ(*recs[1].dsport, 3);
}

TEST(MeterTest, IcmpErrorsAreKeyedByWhatTheyQuote) {
  auto recs = run(t::icmp_unreachable_scan());
  std::map<std::string, int> states;
  double urp_packets = 0;
  for (const auto& r : recs) {
    ++states[r.proto + " " + r.state];
    if (r.state == "URP") urp_packets += r[flow::kSpkts];
  }
  // Three UDP ports and two hosts probed; one ICMP flow per quoted port and per quoted host.
  EXPECT_EQ(states["udp INT"], 3);
  EXPECT_EQ(states["icmp URP"], 3);
  EXPECT_EQ(urp_packets, 4);  // port 161 was probed and refused twice
  EXPECT_EQ(states["tcp REQ"], 2);
  EXPECT_EQ(states["icmp URH"], 2);
}

TEST(MeterTest, UdpOneWayIsIntAndTwoWayIsCon) {
  auto one = run(t::udp_one_way());
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].state, "INT");
  EXPECT_EQ(one[0][flow::kSbytes], 606);
  EXPECT_NEAR(one[0][flow::kSload], 80800, 1e-6);
  EXPECT_NEAR(one[0][flow::kSinpkt], 20, 1e-9);
  EXPECT_EQ(one[0][flow::kSjit], 0);
  EXPECT_EQ(one[0][flow::kSttl], 31);
  EXPECT_EQ(one[0][flow::kIsSmIpsPorts], 0);  // same ports, different hosts

  auto two = run(t::udp_two_way());
  ASSERT_EQ(two.size(), 1u);
  EXPECT_EQ(two[0].state, "CON");
  EXPECT_EQ(two[0].service, "dns");
  EXPECT_EQ(two[0][flow::kSbytes], 71);
  EXPECT_EQ(two[0][flow::kDbytes], 87);
  EXPECT_EQ(two[0][flow::kSwin], 0);
}

TEST(MeterTest, ArpRequestReplyAndGratuitousArp) {
  auto recs = run(t::arp_exchange());
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0].proto, "arp");
  EXPECT_EQ(recs[0].state, "CON");
  EXPECT_EQ(*recs[0].arp_sha, "02:00:00:00:00:01");
  EXPECT_EQ(recs[0][flow::kSbytes], 60);
  EXPECT_EQ(recs[1].state, "INT");
  EXPECT_EQ(*recs[1].srcip, "10.0.0.2");
  EXPECT_EQ(*recs[1].dstip, "10.0.0.2");
  EXPECT_EQ(recs[1][flow::kIsSmIpsPorts], 1);
}

TEST(MeterTest, VlanTaggedPacketsJoinOneFlow) {
  auto recs = run(t::vlan_udp());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].state, "CON");
  EXPECT_EQ(recs[0][flow::kSbytes], 51);  // 18-byte tagged header
  EXPECT_EQ(recs[0][flow::kDbytes], 52);  // 22-byte double-tagged header
}

TEST(MeterTest, Ipv6TcpResetAfterBanner) {
  auto recs = run(t::ipv6_tcp());
  ASSERT_EQ(recs.size(), 1u);
  const FlowRecord& r = recs[0];
  EXPECT_EQ(*r.srcip, "2001:db8::1");
  EXPECT_EQ(r.state, "RST");
  EXPECT_EQ(r.service, "ssh");
  EXPECT_EQ(r[flow::kSbytes], 222);
  EXPECT_EQ(r[flow::kDbytes], 169);
  EXPECT_NEAR(r[flow::kSynack], 0.00008, 1e-12);
  EXPECT_NEAR(r[flow::kAckdat], 0.00007, 1e-12);
  EXPECT_NEAR(r[flow::kSjit], 2.85, 1e-6);
  EXPECT_NEAR(r[flow::kDinpkt], 4.92, 1e-6);
  EXPECT_NEAR(r[flow::kDload], 113333.335938, 1e-2);
}

TEST(MeterTest, LongFlowGivesARecordEvery60Seconds) {
  auto recs = run(t::long_udp_flow());
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_DOUBLE_EQ(*recs[0].stime, 1700000000.0);
  EXPECT_DOUBLE_EQ(*recs[1].stime, 1700000060.0);
  EXPECT_DOUBLE_EQ(*recs[2].stime, 1700000120.0);
  EXPECT_EQ(recs[0][flow::kSpkts], 60);
  EXPECT_EQ(recs[1][flow::kSpkts], 60);
  EXPECT_EQ(recs[2][flow::kSpkts], 31);
  EXPECT_DOUBLE_EQ(recs[0][flow::kDur], 59.0);
  EXPECT_EQ(recs[0].state, "INT");  // first record of a one-way flow
  EXPECT_EQ(recs[1].state, "REQ");  // later ones
  EXPECT_EQ(recs[2].state, "REQ");
}

TEST(MeterTest, IdleTimeoutClosesAFlow) {
  std::vector<t::Frame> frames = t::udp_one_way();
  auto late = frames[0];
  late.ts_us += 31'000'000;  // past the 30 s UDP timeout
  frames.push_back(late);
  auto recs = run(frames);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0][flow::kSpkts], 3);
  EXPECT_EQ(recs[1][flow::kSpkts], 1);
  EXPECT_EQ(recs[1].state, "INT");  // a new flow, not a status record
}

TEST(MeterTest, FullTableEvictsTheOldestIdleFlow) {
  MeterSettings s;
  s.max_flows = 2;
  Meter m(s);
  for (int i = 0; i < 5; ++i) {
    auto ip = t::ip_packet("10.0.0.1", "10.0.0.2", 17,
                           t::udp_datagram(static_cast<uint16_t>(1000 + i), 53, "q"));
    m.add(t::Frame{t::kT0 + i * 1000, t::ethernet(ip, false)}.packet());
    EXPECT_LE(m.active_flows(), 2u);
  }
  EXPECT_EQ(m.counters().evictions, 3u);
  m.finish();
  std::vector<FlowRecord> out;
  m.take(out);
  ASSERT_EQ(out.size(), 5u);
  EXPECT_EQ(*out[0].sport, 1000);  // the oldest went first
  EXPECT_GT(Meter::bytes_per_flow(), sizeof(FlowState));
}

// A SYN flood from distinct addresses and ports: 40 times more flows than the table holds.
// The table stays at max_flows, every extra flow is an eviction, records keep flowing out (they do
// not pile up waiting) and the meter's memory stays that of a max_flows table.
TEST(MeterAdversarialTest, SynFloodPastMaxFlowsKeepsTheTableAndMemoryBounded) {
  MeterSettings s;
  s.max_flows = 500;
  Meter m(s);
  constexpr int kFlows = 20'000;
  std::vector<FlowRecord> out;
  size_t peak_memory = 0;
  for (int i = 0; i < kFlows; ++i) {
    t::TcpConversation c({"10.9." + std::to_string(i >> 8 & 0xFF) + "." + std::to_string(i & 0xFF),
                          static_cast<uint16_t>(1024 + i % 60000)},
                         {"10.0.0.2", 80});
    m.add(c.from_client(t::kT0 + int64_t{i} * 10, {kTcpSyn, 1, 0, 1024}).packet());
    ASSERT_LE(m.active_flows(), s.max_flows);
    m.take(out);
    peak_memory = std::max(peak_memory, m.memory_bytes());
  }
  EXPECT_EQ(m.counters().flows, static_cast<uint64_t>(kFlows));
  EXPECT_EQ(m.counters().evictions, static_cast<uint64_t>(kFlows) - s.max_flows);
  EXPECT_GE(out.size(), static_cast<size_t>(kFlows) - s.max_flows - 1);
  // Table, index and waiting records of max_flows flows, with slack for vector growth.
  EXPECT_LT(peak_memory, 3 * s.max_flows * (Meter::bytes_per_flow() + sizeof(FlowRecord)));
  m.finish();
  m.take(out);
  EXPECT_EQ(out.size(), static_cast<size_t>(kFlows));
  EXPECT_EQ(out.front().state, "REQ");
}

// UDP flows open at the end (every third answered, out of start order) and echo flows whose
// records timed out midway but wait behind the first UDP flow: the end of input mixes both.
std::vector<t::Frame> flows_open_at_the_end() {
  std::vector<t::Frame> frames = t::icmp_echo();
  for (int i = 0; i < 300; ++i) {
    const std::string client = "10.1." + std::to_string(i >> 8) + "." + std::to_string(i & 0xFF);
    const auto port = static_cast<uint16_t>(1000 + i);
    const int64_t ts = t::kT0 + int64_t{i} * 30'000;
    frames.push_back(
        {ts,
         t::ethernet(t::ip_packet(client, "10.0.0.2", 17, t::udp_datagram(port, 53, "q")), false)});
    if (i % 3 == 0) {
      frames.push_back(
          {ts + 200'000 + (i % 7) * 40'000,
           t::ethernet(t::ip_packet("10.0.0.2", client, 17, t::udp_datagram(53, port, "answer")),
                       false)});
    }
  }
  std::stable_sort(frames.begin(), frames.end(),
                   [](const t::Frame& a, const t::Frame& b) { return a.ts_us < b.ts_us; });
  return frames;
}

std::vector<std::string> as_csv(const std::vector<FlowRecord>& recs) {
  std::vector<std::string> rows;
  for (const auto& r : recs) flow::append_identity_csv(r, rows.emplace_back());
  return rows;
}

// finish() leaves the last flows' records to take(), which makes them in order, merged with
// the records already waiting: taken in chunks, all at once, or made at once because input
// came after finish(), the records, their order and their ct_* counts are the same.
TEST(MeterTest, RecordsOfFlowsOpenAtTheEndAreMadeAsTheyAreTaken) {
  const auto frames = flows_open_at_the_end();
  auto finished = [&](Meter& m) {
    for (const auto& f : frames) m.add(f.packet());
    m.finish();
  };
  Meter all;
  finished(all);
  std::vector<FlowRecord> whole;
  all.take(whole);
  ASSERT_EQ(whole.size(), 304u);
  EXPECT_EQ(all.counters().records, 304u);
  EXPECT_TRUE(std::is_sorted(whole.begin(), whole.end(),
                             [](const auto& a, const auto& b) { return *a.ltime < *b.ltime; }));
  // The echo records that waited (timed out at 6-8 s) come among the UDP flows' records.
  const auto last_echo = std::find_if(whole.rbegin(), whole.rend(),
                                      [](const FlowRecord& r) { return r.proto == "icmp"; });
  ASSERT_NE(last_echo, whole.rend());
  EXPECT_GT(whole.rend() - last_echo, 50);
  EXPECT_GT(last_echo - whole.rbegin(), 50);

  Meter chunks;
  for (const auto& f : frames) chunks.add(f.packet());
  const size_t before = chunks.memory_bytes();
  chunks.finish();
  EXPECT_EQ(chunks.counters().records, 304u);
  EXPECT_EQ(chunks.active_flows(), 0u);
  EXPECT_LT(chunks.memory_bytes(), before + 304 * 64);  // no record made before it is taken
  std::vector<FlowRecord> chunked;
  while (chunks.take(chunked, 7) > 0) {
  }
  EXPECT_EQ(as_csv(chunked), as_csv(whole));

  Meter settled;
  finished(settled);
  std::vector<FlowRecord> first;
  settled.take(first, 5);
  settled.advance(frames.back().ts_us + 1);  // input after finish(): the rest is made now
  settled.take(first);
  EXPECT_EQ(as_csv(first), as_csv(whole));
  EXPECT_EQ(settled.counters().records, 304u);
}

TEST(MeterTest, SkippedPacketsAreCountedByReason) {
  Meter m;
  auto ok =
      t::ethernet(t::ip_packet("10.0.0.1", "10.0.0.2", 17, t::udp_datagram(1, 2, "x")), false);
  m.add(t::Frame{t::kT0, ok}.packet());
  m.add(t::Frame{t::kT0, std::vector<uint8_t>(ok.begin(), ok.begin() + 20)}.packet());
  m.add(t::Frame{t::kT0, ok, 0, 999}.packet());
  EXPECT_EQ(m.counters().packets, 3u);
  EXPECT_EQ(m.counters().metered, 1u);
  EXPECT_EQ(m.counters().skipped[static_cast<size_t>(SkipReason::kTruncated)], 1u);
  EXPECT_EQ(m.counters().skipped[static_cast<size_t>(SkipReason::kUnknownLinkType)], 1u);
  EXPECT_EQ(m.counters().skipped_total(), 2u);
}

TEST(MeterTest, RecordsComeOutOrderedByLastTimeWithCtCounts) {
  // Three flows from one source to one destination; the first lasts longest.
  std::vector<t::Frame> frames;
  auto udp = [&](int64_t ts, uint16_t sport) {
    frames.push_back(
        {ts, t::ethernet(t::ip_packet("10.0.0.1", "10.0.0.2", 17, t::udp_datagram(sport, 53, "q")),
                         false)});
  };
  udp(t::kT0, 1000);
  udp(t::kT0 + 10, 1001);
  udp(t::kT0 + 20, 1002);
  udp(t::kT0 + 5'000'000, 1000);
  auto recs = run(frames);
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(*recs[0].sport, 1001);
  EXPECT_EQ(*recs[1].sport, 1002);
  EXPECT_EQ(*recs[2].sport, 1000);
  EXPECT_EQ(recs[0][flow::kCtSrcLtm], 1);
  EXPECT_EQ(recs[1][flow::kCtSrcLtm], 2);
  EXPECT_EQ(recs[2][flow::kCtSrcLtm], 3);
  EXPECT_EQ(recs[2][flow::kCtDstSrcLtm], 3);
  EXPECT_EQ(recs[2][flow::kCtSrcDportLtm], 3);
  EXPECT_EQ(recs[2][flow::kCtDstSportLtm], 1);
  EXPECT_EQ(recs[2][flow::kCtSrvSrc], 3);  // all "dns"
}

TEST(MeterTest, TcpPortReuseAfterCloseStartsANewRecord) {
  auto frames = t::tcp_handshake_close();
  auto again = t::tcp_handshake_close();
  for (auto& f : again) f.ts_us += 2'000'000;
  frames.insert(frames.end(), again.begin(), again.end());
  auto recs = run(frames);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0][flow::kSpkts], 6);
  EXPECT_EQ(recs[1][flow::kSpkts], 6);
  EXPECT_EQ(recs[1].state, "FIN");
}

TEST(MeterTest, FtpLoginCommandsAndAnnouncedDataConnections) {
  auto recs = run(t::ftp_port_and_pasv());
  ASSERT_EQ(recs.size(), 3u);
  const FlowRecord* control = nullptr;
  int data = 0;
  for (const auto& r : recs) {
    if (r.service == "ftp") control = &r;
    data += r.service == "ftp-data";
  }
  EXPECT_EQ(data, 2);  // the PORT connection from port 20 and the PASV one to port 50000
  ASSERT_NE(control, nullptr);
  EXPECT_EQ(control->state, "FIN");
  EXPECT_EQ((*control)[flow::kIsFtpLogin], 1);
  EXPECT_EQ((*control)[flow::kCtFtpCmd], 6);  // USER PASS PORT LIST PASV RETR
  EXPECT_EQ((*control)[flow::kSpkts], 11);
  EXPECT_EQ((*control)[flow::kDpkts], 10);
}

TEST(MeterTest, PipelinedHttpRequestsAndResponseBodies) {
  auto recs = run(t::http_pipelining());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].service, "http");
  EXPECT_EQ(recs[0][flow::kTransDepth], 3);
  EXPECT_EQ(recs[0][flow::kCtFlwHttpMthd], 3);
  EXPECT_EQ(recs[0][flow::kResponseBodyLen], 13);  // 3 + 10 + 0
  EXPECT_NEAR(recs[0][flow::kDjit], 10.834868, 1e-5);
}

TEST(MeterTest, OutOfOrderSegmentAndZeroWindow) {
  auto recs = run(t::tcp_window_scaling_out_of_order());
  ASSERT_EQ(recs.size(), 1u);
  const FlowRecord& r = recs[0];
  EXPECT_EQ(r.state, "RST");
  EXPECT_EQ(r[flow::kSloss], 1);  // Argus counts the late earlier segment as a retransmission
  EXPECT_EQ(r[flow::kDloss], 0);
  EXPECT_EQ(r[flow::kSbytes], 1274);
  EXPECT_NEAR(r[flow::kSjit], 130.296181, 1e-4);
  EXPECT_EQ(r[flow::kStcpb], 50000);
  EXPECT_EQ(r[flow::kDtcpb], 90000);
}

TEST(MeterTest, SnaplenTruncatedPacketsKeepWireLengths) {
  auto full = run(t::tcp_handshake_close());
  auto cut = run(t::tcp_snaplen_64());
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0][flow::kSbytes], full[0][flow::kSbytes]);
  EXPECT_EQ(cut[0][flow::kDbytes], full[0][flow::kDbytes]);
  EXPECT_EQ(cut[0].state, "FIN");
  EXPECT_EQ(cut[0].service, "http");  // the first 10 payload bytes are enough
}

TEST(MeterTest, TwoPortsOfOneIpv4AddressAreOneFlow) {
  auto recs = run(t::same_host_tcp());
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0][flow::kSpkts], 4);
  EXPECT_EQ(recs[0][flow::kDpkts], 2);
  EXPECT_EQ(recs[0][flow::kIsSmIpsPorts], 0);  // same address, different ports
}

TEST(MeterTest, Ipv6ConversationWithItselfIsTwoFlowsAsInArgus) {
  t::TcpConversation c({"::1", 50000}, {"::1", 8080});
  auto recs = run({c.from_client(t::kT0, {kTcpSyn, 1, 0, 100}),
                   c.from_server(t::kT0 + 10, {kTcpSyn | kTcpAck, 5, 2, 100}),
                   c.from_client(t::kT0 + 20, {kTcpAck, 2, 6, 100})});
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[0][flow::kDpkts] + recs[1][flow::kDpkts], 0);
}

TEST(MeterTest, HostileWindowScaleIsCappedAt14) {
  // Found by fuzz_packet: a scale of 49 shifted a 32-bit window out of range.
  t::TcpConversation c({"10.0.0.1", 1}, {"10.0.0.2", 2});
  auto recs = run({c.from_client(t::kT0, {kTcpSyn, 1, 0, 100, 49}),
                   c.from_server(t::kT0 + 10, {kTcpSyn | kTcpAck, 5, 2, 100, 200}),
                   c.from_client(t::kT0 + 20, {kTcpAck, 2, 6, 100, -1, "xx"}),
                   c.from_client(t::kT0 + 30, {kTcpAck, 2, 6, 100, -1, "xx"}),
                   c.from_server(t::kT0 + 40, {kTcpRst, 6, 0, 0})});
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0][flow::kSloss], 1);
  EXPECT_EQ(recs[0].state, "RST");
}

TEST(MeterTest, CountersArePublishedAsPrometheusMetrics) {
  Meter m;
  auto frames = t::udp_two_way();
  m.add(frames[0].packet());
  m.add(t::Frame{t::kT0, std::vector<uint8_t>(10, 0)}.packet());  // truncated
  MetricsRegistry registry;
  const MeterCounters before = m.counters();
  publish_metrics({}, before, registry);
  m.add(frames[1].packet());
  m.finish();
  publish_metrics(before, m.counters(), registry);
  const std::string text = registry.render();
  EXPECT_NE(text.find("flowsentry_packets_total 3"), std::string::npos) << text;
  EXPECT_NE(text.find("flowsentry_packets_skipped_total{reason=\"truncated\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("flowsentry_meter_records_total 1"), std::string::npos) << text;
}

TEST(MeterTest, LongTcpSessionContinuesAcrossStatusRecords) {
  auto recs = run(t::long_tcp_session());
  ASSERT_EQ(recs.size(), 3u);
  EXPECT_EQ(recs[0].state, "CON");
  EXPECT_EQ(recs[1].state, "CON");
  EXPECT_EQ(recs[2].state, "FIN");
  // Argus moves the sequence bases to the current sequence numbers for each new record.
  EXPECT_EQ(recs[0][flow::kStcpb], 1);
  EXPECT_EQ(recs[1][flow::kStcpb], 12);
  EXPECT_EQ(recs[2][flow::kDtcpb], 24);
  EXPECT_NEAR(recs[1][flow::kSynack], 0.0003, 1e-12);  // handshake times stay
  EXPECT_NEAR(recs[0][flow::kDur], 55.0024, 1e-9);
  EXPECT_EQ(recs[0][flow::kSpkts], 24);
  EXPECT_NEAR(recs[1][flow::kSjit], 2497.6, 1e-3);
}

}  // namespace
}  // namespace flowsentry::meter
