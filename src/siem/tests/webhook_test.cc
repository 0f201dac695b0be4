// The webhook output over real HTTP: a cpp-httplib server on 127.0.0.1 checks the signature
// the way a receiver would (HMAC-SHA256 of "<timestamp>.<body>" with the shared secret), sees
// the extra headers, and fails the first request to show the retry. Labelled fixture.
#include <httplib.h>

#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "common/version.h"
#include "siem/outputs.h"
#include "siem/tests/samples.h"
#include "siem/webhook_transport.h"

namespace flowsentry::siem {
namespace {

using namespace std::chrono_literals;

struct Received {
  std::string body, timestamp, signature, api_key, user_agent;
};

class Receiver {
 public:
  explicit Receiver(int fail_first) : fail_first_(fail_first) {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard lk(mu_);
      if (fail_first_-- > 0) {
        res.status = 503;
        return;
      }
      got_.push_back({req.body, req.get_header_value("X-Flowsentry-Timestamp"),
                      req.get_header_value("X-Flowsentry-Signature"),
                      req.get_header_value("X-Api-Key"), req.get_header_value("User-Agent")});
      res.status = 204;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  std::vector<Received> got() {
    std::lock_guard lk(mu_);
    return got_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  int port_ = -1;
  std::mutex mu_;
  int fail_first_;
  std::vector<Received> got_;
};

TEST(WebhookTest, SignedBodyWithTimestampAndExtraHeadersAfterARetry) {
  Receiver receiver(1);
  OutputDefaults d;
  d.backoff_s = 0.01;
  d.webhook_secret = "s3cret";
  auto outputs =
      Outputs::create("webhook " + receiver.url() + " filter=alerts header=X-Api-Key:k1", d);
  ASSERT_TRUE(outputs.ok()) << outputs.error().to_string();
  (*outputs)->alert(testing::behaviour_alert());
  ASSERT_TRUE((*outputs)->flush(10s));
  const auto got = receiver.got();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ((*outputs)->outputs()[0]->stats().retries, 1u);
  EXPECT_EQ(got[0].api_key, "k1");
  EXPECT_EQ(got[0].user_agent, kUserAgent);  // flowsentry/<project version>
  EXPECT_EQ(got[0].signature, webhook_signature("s3cret", got[0].timestamp, got[0].body));
  EXPECT_NE(got[0].signature, webhook_signature("other", got[0].timestamp, got[0].body));
  const auto doc = nlohmann::json::parse(got[0].body);
  EXPECT_EQ(doc["rule"]["name"], "port_scan");
  const double ts = std::stod(got[0].timestamp);
  EXPECT_GT(ts, 1.7e9);
}

TEST(WebhookTest, AClientErrorIsNotRetried) {
  httplib::Server server;
  int calls = 0;
  server.Post("/hook", [&](const httplib::Request&, httplib::Response& res) {
    ++calls;
    res.status = 400;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(1ms);
  OutputDefaults d;
  d.backoff_s = 0.01;
  auto outputs = Outputs::create(
      "webhook http://127.0.0.1:" + std::to_string(port) + "/hook filter=alerts", d);
  ASSERT_TRUE(outputs.ok());
  (*outputs)->alert(testing::burst_alert());
  ASSERT_TRUE((*outputs)->flush(10s));
  server.stop();
  t.join();
  EXPECT_EQ(calls, 1);
  EXPECT_EQ((*outputs)->outputs()[0]->stats().dropped, 1u);
}

}  // namespace
}  // namespace flowsentry::siem
