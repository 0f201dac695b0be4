#include "meter/decode.h"

#include <gtest/gtest.h>

#include "meter/tests/packet_builder.h"

namespace flowsentry::meter {
namespace {

using testing::ethernet;
using testing::Frame;
using testing::ip_packet;
using testing::tcp_segment;
using testing::TcpSpec;
using testing::udp_datagram;

std::vector<uint8_t> v4_udp() {
  return ip_packet("10.0.0.1", "10.0.0.2", 17, udp_datagram(1000, 53, "abcd"), 42);
}

TEST(DecodeTest, EthernetIpv4Udp) {
  Frame f{0, ethernet(v4_udp(), false)};
  DecodedPacket d;
  ASSERT_EQ(decode_packet(f.packet(), d), SkipReason::kNone);
  EXPECT_EQ(d.network, Network::kIpv4);
  EXPECT_EQ(d.proto, kProtoUdp);
  EXPECT_EQ(d.sport, 1000);
  EXPECT_EQ(d.dport, 53);
  EXPECT_EQ(d.ttl, 42);
  EXPECT_EQ(d.l4_payload_len, 4u);
  EXPECT_EQ(std::string(d.payload.begin(), d.payload.end()), "abcd");
}

TEST(DecodeTest, VlanAndQinQTagsAreSkipped) {
  for (auto tags : {std::vector<uint16_t>{10}, std::vector<uint16_t>{10, 20}}) {
    Frame f{0, ethernet(v4_udp(), false, tags)};
    DecodedPacket d;
    ASSERT_EQ(decode_packet(f.packet(), d), SkipReason::kNone);
    EXPECT_EQ(d.dport, 53);
  }
}

TEST(DecodeTest, TcpHeaderAndWindowScale) {
  auto ip = ip_packet("10.0.0.1", "10.0.0.2", 6,
                      tcp_segment(40000, 80, {kTcpSyn, 123456, 0, 64240, 7, ""}));
  Frame f{0, ethernet(ip, false)};
  DecodedPacket d;
  ASSERT_EQ(decode_packet(f.packet(), d), SkipReason::kNone);
  EXPECT_EQ(d.tcp.flags, kTcpSyn);
  EXPECT_EQ(d.tcp.seq, 123456u);
  EXPECT_EQ(d.tcp.win, 64240);
  EXPECT_EQ(d.tcp.window_scale, 7);
  EXPECT_EQ(d.tcp.header_len, 24);
  EXPECT_EQ(d.l4_payload_len, 0u);
}

TEST(DecodeTest, Ipv6SkipsExtensionHeaders) {
  auto ip = ip_packet("2001:db8::1", "2001:db8::2", 0, {});
  // Hop-by-hop (8 bytes) then UDP.
  std::vector<uint8_t> hbh{17, 0, 1, 4, 0, 0, 0, 0};
  auto udp = udp_datagram(5353, 5353, "x");
  ip.insert(ip.end(), hbh.begin(), hbh.end());
  ip.insert(ip.end(), udp.begin(), udp.end());
  ip[4] = 0;
  ip[5] = static_cast<uint8_t>(hbh.size() + udp.size());
  Frame f{0, ethernet(ip, true)};
  DecodedPacket d;
  ASSERT_EQ(decode_packet(f.packet(), d), SkipReason::kNone);
  EXPECT_EQ(d.network, Network::kIpv6);
  EXPECT_EQ(d.proto, kProtoUdp);
  EXPECT_EQ(d.sport, 5353);
  EXPECT_EQ(d.l4_payload_len, 1u);
}

TEST(DecodeTest, RawSllSll2AndNullLinkTypes) {
  auto ip = v4_udp();
  DecodedPacket d;
  Frame raw{0, ip, 0, kLinkRaw};
  EXPECT_EQ(decode_packet(raw.packet(), d), SkipReason::kNone);
  raw.linktype = kLinkRawAlt12;
  EXPECT_EQ(decode_packet(raw.packet(), d), SkipReason::kNone);

  std::vector<uint8_t> sll(16, 0);
  sll[14] = 0x08;
  sll.insert(sll.end(), ip.begin(), ip.end());
  EXPECT_EQ(decode_packet(Frame{0, sll, 0, kLinkLinuxSll}.packet(), d), SkipReason::kNone);

  std::vector<uint8_t> sll2(20, 0);
  sll2[0] = 0x08;
  sll2.insert(sll2.end(), ip.begin(), ip.end());
  EXPECT_EQ(decode_packet(Frame{0, sll2, 0, kLinkLinuxSll2}.packet(), d), SkipReason::kNone);

  std::vector<uint8_t> null{2, 0, 0, 0};  // AF_INET, little-endian host
  null.insert(null.end(), ip.begin(), ip.end());
  EXPECT_EQ(decode_packet(Frame{0, null, 0, kLinkNull}.packet(), d), SkipReason::kNone);
  std::vector<uint8_t> loop{0, 0, 0, 2};
  loop.insert(loop.end(), ip.begin(), ip.end());
  EXPECT_EQ(decode_packet(Frame{0, loop, 0, kLinkLoop}.packet(), d), SkipReason::kNone);
  EXPECT_EQ(d.dport, 53);
}

TEST(DecodeTest, ArpCarriesAddresses) {
  auto frame = testing::arp_frame(1, {2, 0, 0, 0, 0, 1}, "10.0.0.1", {}, "10.0.0.2");
  DecodedPacket d;
  ASSERT_EQ(decode_packet(Frame{0, frame}.packet(), d), SkipReason::kNone);
  EXPECT_EQ(d.network, Network::kArp);
  EXPECT_EQ(d.arp_op, 1);
  EXPECT_EQ(d.src[3], 1);
  EXPECT_EQ(d.dst[3], 2);
  EXPECT_EQ(d.arp_sha[5], 1);
}

TEST(DecodeTest, EveryTruncationIsCountedNeverRead) {
  auto full = ethernet(
      ip_packet("10.0.0.1", "10.0.0.2", 6, tcp_segment(1, 2, {kTcpAck, 1, 1, 100, -1, "payload"})),
      false);
  // Cut the frame at every length: each result is a reason or a success, never a crash
  // (ASan in the sanitizer build catches out-of-bounds reads).
  for (size_t n = 0; n <= full.size(); ++n) {
    std::vector<uint8_t> cut(full.begin(), full.begin() + n);
    DecodedPacket d;
    SkipReason r = decode_packet(Frame{0, cut, uint32_t(full.size())}.packet(), d);
    if (n < 14 + 20 + 20) {
      EXPECT_EQ(r, SkipReason::kTruncated) << n;
    } else {
      EXPECT_EQ(r, SkipReason::kNone) << n;
      EXPECT_EQ(d.l4_payload_len, 7u);  // from the IP length, not the snaplen
      EXPECT_EQ(d.payload.size(), n - 54);
    }
  }
}

TEST(DecodeTest, MalformedHeadersHaveReasons) {
  DecodedPacket d;
  auto ip = v4_udp();
  auto bad_ihl = ip;
  bad_ihl[0] = 0x44;
  EXPECT_EQ(decode_packet(Frame{0, ethernet(bad_ihl, false)}.packet(), d),
            SkipReason::kBadHeaderLength);
  auto short_total = ip;
  short_total[2] = 0;
  short_total[3] = 10;
  EXPECT_EQ(decode_packet(Frame{0, ethernet(short_total, false)}.packet(), d),
            SkipReason::kBadHeaderLength);
  auto fragment = ip;
  fragment[6] = 0x00;
  fragment[7] = 0x10;  // offset 16 * 8 bytes
  EXPECT_EQ(decode_packet(Frame{0, ethernet(fragment, false)}.packet(), d), SkipReason::kFragment);
  auto version = ip;
  version[0] = 0x55;
  EXPECT_EQ(decode_packet(Frame{0, version, 0, kLinkRaw}.packet(), d), SkipReason::kBadVersion);
  EXPECT_EQ(decode_packet(Frame{0, ip, 0, 147}.packet(), d), SkipReason::kUnknownLinkType);
  auto lldp = ethernet(ip, false);
  lldp[12] = 0x88;
  lldp[13] = 0xcc;
  EXPECT_EQ(decode_packet(Frame{0, lldp}.packet(), d), SkipReason::kNonIp);
  EXPECT_EQ(skip_reason_name(SkipReason::kFragment), "fragment");
}

}  // namespace
}  // namespace flowsentry::meter
