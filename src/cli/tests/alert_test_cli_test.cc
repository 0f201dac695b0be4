// `flowsentry alert-test` end to end: the built binary posts to a loopback HTTP server.
#include <httplib.h>
#include <sys/wait.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "common/testing/shell.h"
#include "common/version.h"

namespace {

using namespace std::chrono_literals;

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& args) {
  // No FLOWSENTRY_ALERT_* from the caller's environment may leak in.
  std::string cmd = "env -u FLOWSENTRY_ALERT_WEBHOOK_URL -u FLOWSENTRY_ALERT_SLACK_WEBHOOK_URL " +
                    std::string(FLOWSENTRY_BINARY) + " " + args + " 2>&1";
  auto r = flowsentry::testing::shell_run(cmd);
  return {r.code, r.out};
}

class Server {
 public:
  Server() {
    svr_.Post("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lock(mu_);
      last_body_ = req.body;
      user_agents_.push_back(req.get_header_value("User-Agent"));
      ++hits_;
      res.set_content("ok", "text/plain");
    });
    svr_.Post("/fail", [this](const httplib::Request&, httplib::Response& res) {
      ++hits_;
      res.status = 500;
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Server() {
    svr_.stop();
    thread_.join();
  }
  std::string url(const char* path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<std::string> user_agents() {
    std::lock_guard lock(mu_);
    return user_agents_;
  }
  std::atomic<int> hits_{0};
  std::mutex mu_;
  std::string last_body_;
  std::vector<std::string> user_agents_;

 private:
  httplib::Server svr_;
  int port_;
  std::thread thread_;
};

std::string fast_config() {
  auto path = (std::filesystem::temp_directory_path() / "flowsentry_alert_test.toml").string();
  std::ofstream(path) << "[alert]\nmax_attempts = 2\nbackoff_s = 0.01\ntimeout_s = 2\n";
  return path;
}

TEST(AlertTestCommandTest, DeliversThroughTheWebhookAndSlack) {
  Server s;
  auto r = run("alert-test --config " + fast_config() + " --webhook-url " + s.url("/ok") +
               " --slack-url " + s.url("/ok"));
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("webhook: delivered (HTTP 200, 1 attempt)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("slack: delivered (HTTP 200, 1 attempt)"), std::string::npos) << r.out;
  EXPECT_EQ(s.hits_, 2);
  EXPECT_EQ(r.out.find(s.url("/ok")), std::string::npos) << "the URL is a secret";
  for (const auto& agent : s.user_agents()) EXPECT_EQ(agent, flowsentry::kUserAgent);
}

TEST(AlertTestCommandTest, AFailingNotifierExitsWith1) {
  Server s;
  auto r = run("alert-test --config " + fast_config() + " --webhook-url " + s.url("/fail"));
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("webhook: FAILED after 2 attempts: HTTP 500"), std::string::npos) << r.out;
  EXPECT_EQ(s.hits_, 2);
}

TEST(AlertTestCommandTest, WithoutNotifiersItUsesTheLog) {
  auto r = run("alert-test --config " + fast_config());
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("No notifier configured"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("log: delivered (1 attempt)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ALERT [info] test:alert-test"), std::string::npos) << r.out;
}

TEST(AlertTestCommandTest, HasHelp) {
  auto r = run("alert-test --help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("--webhook-url"), std::string::npos);
}

}  // namespace
