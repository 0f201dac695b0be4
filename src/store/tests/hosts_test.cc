// Address ranges, flow ids and "names this address": the parsing behind the host queries.
#include "store/hosts.h"

#include <gtest/gtest.h>

namespace flowsentry::store {
namespace {

std::string lo(const AddressRange& r) {
  return flow::format_address(r.lo);
}
std::string hi(const AddressRange& r) {
  return flow::format_address(r.hi);
}

TEST(AddressRangeTest, AnAddressIsARangeOfOne) {
  auto r = parse_address_range("10.0.0.5");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->single());
  EXPECT_EQ(lo(*r), "10.0.0.5");
}

TEST(AddressRangeTest, CidrBlocksSpanTheirAddresses) {
  auto v4 = parse_address_range("10.1.2.3/8");  // host bits are ignored
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(lo(*v4), "10.0.0.0");
  EXPECT_EQ(hi(*v4), "10.255.255.255");
  auto all4 = parse_address_range("0.0.0.0/0");
  EXPECT_EQ(lo(*all4), "0.0.0.0");
  EXPECT_EQ(hi(*all4), "255.255.255.255");
  auto v6 = parse_address_range("2001:db8::/32");
  EXPECT_EQ(lo(*v6), "2001:db8::");
  EXPECT_EQ(hi(*v6), "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
  auto odd = parse_address_range("192.168.1.250/31");
  EXPECT_EQ(lo(*odd), "192.168.1.250");
  EXPECT_EQ(hi(*odd), "192.168.1.251");
  EXPECT_TRUE(parse_address_range("10.0.0.7/32")->single());
}

TEST(AddressRangeTest, AdversarialRangesAreRefusedWithTheReason) {
  for (const char* bad :
       {"", "/", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0/ 8",
        "10.0.0.256", "host", "10.0.0.0/1e1", "fe80::1%eth0", "10.0.0.0/99999999999999999999"}) {
    auto r = parse_address_range(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("not an address or CIDR"), std::string::npos) << bad;
  }
  EXPECT_NE(parse_address_range("10.0.0.0/33").error().message.find("0 to 32"), std::string::npos);
}

TEST(FlowIdTest, IdsRoundTripExactly) {
  flow::RecordKey k{"kafka:flows_1", 3, 123456789};
  for (double t : {1772323200.0, 1772323200.123456789, 0.1, 1e-7}) {
    auto back = decode_flow_id(encode_flow_id(t, k));
    ASSERT_TRUE(back);
    EXPECT_EQ(back->stime, t);
    EXPECT_EQ(back->key.source, k.source);
    EXPECT_EQ(back->key.partition, 3);
    EXPECT_EQ(back->key.offset, 123456789);
  }
  EXPECT_EQ(encode_flow_id(1.5, {"ab", 0, 7}), "1.5_0_7_6162");
}

TEST(FlowIdTest, AdversarialIdsAreRefused) {
  for (const char* bad :
       {"", "_", "1.5", "1.5_0", "1.5_0_7", "x_0_7_61", "1.5_0_7_6", "1.5_0_7_zz", "nan_0_7_61",
        "inf_0_7_61", "1.5_a_7_61", "1.5_0_99999999999999999999_61"}) {
    EXPECT_FALSE(decode_flow_id(bad)) << bad;
  }
  EXPECT_FALSE(decode_flow_id(std::string(5000, '1')));
}

TEST(NamesAddressTest, MatchesWholeAddressesOnly) {
  EXPECT_TRUE(names_address("10.0.0.5 -> 6 hosts", "10.0.0.5"));
  EXPECT_TRUE(names_address(R"({"srcip":"10.0.0.5"})", "10.0.0.5"));
  EXPECT_TRUE(names_address("from 10.0.0.5.", "10.0.0.5"));
  EXPECT_FALSE(names_address("10.0.0.50", "10.0.0.5"));
  EXPECT_FALSE(names_address("110.0.0.5", "10.0.0.5"));
  EXPECT_FALSE(names_address("10.0.0.5.1", "10.0.0.5"));
  EXPECT_TRUE(names_address("peer 2001:db8::1 seen", "2001:db8::1"));
  EXPECT_FALSE(names_address("2001:db8::1f", "2001:db8::1"));
  EXPECT_FALSE(names_address("anything", ""));
}

}  // namespace
}  // namespace flowsentry::store
