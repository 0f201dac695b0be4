// `flowsentry capture --iface lo` under 100 k UDP packets/s for 3 s: the meter counts every
// packet sent and libpcap reports no kernel drop. Needs root (or CAP_NET_RAW); skipped
// otherwise. Reads the counts from capture's end-of-run report on stderr.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "cli/tests/process.h"

namespace {

using namespace std::chrono_literals;

constexpr int kRate = 100'000;  // packets per second
constexpr int kSeconds = 3;

// A UDP socket bound to a free loopback port (kept open so no port unreachable comes back).
int bind_free_port(uint16_t& port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return -1;
  }
  port = ntohs(a.sin_port);
  return fd;
}

// Sends kRate packets/s for kSeconds in 1 ms steps; returns how many sendto() accepted.
uint64_t send_udp(uint16_t port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const char payload[64] = "flowsentry live capture test";
  uint64_t sent = 0;
  const auto start = std::chrono::steady_clock::now();
  const uint64_t total = uint64_t{kRate} * kSeconds;
  for (uint64_t ms = 0; sent < total; ++ms) {
    std::this_thread::sleep_until(start + std::chrono::milliseconds(ms));
    // Catch up if the thread slept late, so the average rate holds.
    const auto elapsed = std::chrono::steady_clock::now() - start;
    const uint64_t due = std::min<uint64_t>(
        total, static_cast<uint64_t>(std::chrono::duration<double>(elapsed).count() * kRate +
                                     kRate / 1000));
    while (sent < due) {
      if (sendto(fd, payload, sizeof(payload), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
          static_cast<ssize_t>(sizeof(payload))) {
        ++sent;
      }
    }
  }
  close(fd);
  return sent;
}

uint64_t number(const std::string& text, const std::string& pattern) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex(pattern))) return UINT64_MAX;
  return std::stoull(m[1]);
}

TEST(CaptureLiveTest, LoopbackAt100kPacketsPerSecondDropsNothing) {
  if (geteuid() != 0) GTEST_SKIP() << "live capture on lo needs root (or CAP_NET_RAW); skipped";
  uint16_t port = 0;
  const int sink = bind_free_port(port);
  ASSERT_GE(sink, 0);
  char tmpl[] = "/tmp/capture_live_XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  flowsentry::testing::Process capture(
      {FLOWSENTRY_BINARY, "capture", "--iface", "lo", "--bpf", "udp port " + std::to_string(port),
       "--out", dir + "/flows.csv"},
      dir + "/capture.log");
  const auto ready_by = std::chrono::steady_clock::now() + 20s;
  while (capture.log().find("capturing on lo") == std::string::npos) {
    ASSERT_TRUE(capture.running()) << capture.log_tail();
    ASSERT_LT(std::chrono::steady_clock::now(), ready_by) << capture.log_tail();
    std::this_thread::sleep_for(50ms);
  }
  std::this_thread::sleep_for(500ms);  // the filter is attached before the message; margin

  const uint64_t sent = send_udp(port);
  std::this_thread::sleep_for(1s);  // the last ring block is handed over after 100 ms
  capture.kill(SIGINT);
  ASSERT_EQ(capture.wait(30s), 0) << capture.log_tail();
  close(sink);

  const std::string log = capture.log();
  EXPECT_EQ(sent, uint64_t{kRate} * kSeconds);
  EXPECT_EQ(number(log, R"(flowsentry capture: (\d+) packets)"), sent) << log;
  EXPECT_EQ(number(log, R"((\d+) dropped by the kernel)"), 0u) << log;
  flowsentry::testing::shell("rm -rf " + dir);
}

}  // namespace
