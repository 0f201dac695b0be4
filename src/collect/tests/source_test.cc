#include "collect/collector_source.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "collect/tests/datagrams.h"

namespace flowsentry::collect {
namespace {

using namespace testing;

TEST(CollectorSourceTest, UrlCarriesTheSettings) {
  auto p = parse_ipfix_url("ipfix://127.0.0.1:4739?link_bytes=18&biflow_window_s=2.5");
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->first.host, "127.0.0.1");
  EXPECT_EQ(p->first.port, 4739);
  EXPECT_EQ(p->second.mapping.link_layer_bytes, 18);
  EXPECT_EQ(p->second.pairing.window_us, 2'500'000);
  auto v6 = parse_ipfix_url("ipfix://[::1]:2055");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->first.host, "::1");
  EXPECT_FALSE(parse_ipfix_url("ipfix://127.0.0.1").ok());
  EXPECT_FALSE(parse_ipfix_url("ipfix://127.0.0.1:70000").ok());
  EXPECT_FALSE(parse_ipfix_url("ipfix://127.0.0.1:4739?colour=red").ok());
  EXPECT_FALSE(parse_ipfix_url("ipfix://127.0.0.1:4739?link_bytes=-1").ok());
}

TEST(CollectorSourceTest, FlowsSentOnLoopbackComeOutKeyedWithTheNetflowProfile) {
  auto source = CollectorSource::open("ipfix://127.0.0.1:0?biflow_window_s=0");
  ASSERT_TRUE(source.ok()) << source.error().to_string();
  EXPECT_EQ((*source)->profile().name, "netflow");
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons((*source)->port());
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  Flow f;
  f.start_ms = f.end_ms = 1'700'000'000'000;
  auto m = ipfix(1'700'000'002, 0, 1,
                 {set(2, flow_template()), set(kFlowTemplate, flow_records({f, f}))});
  ASSERT_EQ(sendto(fd, m.data(), m.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)),
            static_cast<ssize_t>(m.size()));
  close(fd);
  std::vector<flow::FlowRecord> out;
  for (int i = 0; i < 100 && out.size() < 2; ++i) {
    ASSERT_TRUE((*source)->next_batch(out, 100, std::chrono::milliseconds(100)).ok());
  }
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].srcip, "10.0.0.1");
  EXPECT_TRUE(out[0].key.source.starts_with("ipfix://127.0.0.1:"));
  EXPECT_EQ(out[1].key.offset, out[0].key.offset + 1);
  EXPECT_FALSE((*source)->at_end());
}

}  // namespace
}  // namespace flowsentry::collect
