// Delivery over real HTTP: a cpp-httplib server on 127.0.0.1 (free port) that accepts, fails
// with 500 then accepts, or answers too late. Checks the payload, the retries and the cooldown.
#include <httplib.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "detect/burst.h"
#include "detect/dispatcher.h"

namespace flowsentry::detect {
namespace {

using namespace std::chrono_literals;

class HookServer {
 public:
  HookServer() {
    server_.Post("/ok", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.set_content("ok", "text/plain");
    });
    server_.Post("/flaky", [this](const httplib::Request& req, httplib::Response& res) {
      if (record(req) == 1) {
        res.status = 500;
        res.set_content("boom", "text/plain");
      } else {
        res.set_content("ok", "text/plain");
      }
    });
    server_.Post("/slow", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      std::this_thread::sleep_for(400ms);
      res.set_content("late", "text/plain");
    });
    server_.Post("/gone", [this](const httplib::Request& req, httplib::Response& res) {
      record(req);
      res.status = 404;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(1ms);
  }
  ~HookServer() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  size_t requests() {
    std::lock_guard lk(mu_);
    return bodies_.size();
  }
  std::vector<std::string> bodies() {
    std::lock_guard lk(mu_);
    return bodies_;
  }
  std::string content_type() {
    std::lock_guard lk(mu_);
    return content_type_;
  }

 private:
  size_t record(const httplib::Request& req) {
    std::lock_guard lk(mu_);
    bodies_.push_back(req.body);
    content_type_ = req.get_header_value("Content-Type");
    return bodies_.size();
  }
  httplib::Server server_;
  int port_ = -1;
  std::thread thread_;
  std::mutex mu_;
  std::vector<std::string> bodies_;
  std::string content_type_;
};

DispatcherOptions fast() {
  DispatcherOptions o;
  o.backoff_initial_s = 0.01;
  o.backoff_max_s = 0.05;
  o.max_attempts = 3;
  o.rate_per_min = 0;
  o.seed = 7;
  return o;
}

HttpOptions short_timeouts() {
  return HttpOptions{0.2, 0.2};
}

Alert burst_alert() {
  BurstDetector d(BurstOptions{});
  std::vector<model::ScoredFlow> flows(10);
  for (size_t i = 0; i < flows.size(); ++i) {
    flows[i].flow.stime = 1'700'000'000 + 10.0 * i;
    flows[i].flow.proto = "tcp";
    flows[i].flow.service = "http";
    flows[i].flow.state = "FIN";
    flows[i].flow.id = static_cast<int64_t>(i);
    flows[i].verdict.label = 1;
    flows[i].verdict.score = 0.9 + 0.001 * i;
  }
  auto alerts = d.observe(flows);
  EXPECT_EQ(alerts.size(), 1u);
  return alerts.at(0);
}

std::unique_ptr<Dispatcher> dispatcher_for(std::unique_ptr<Notifier> n, DispatcherOptions o,
                                           double* now) {
  std::vector<std::unique_ptr<Notifier>> v;
  v.push_back(std::move(n));
  return std::make_unique<Dispatcher>(o, std::move(v), nullptr, [now] { return *now; });
}

TEST(DeliveryTest, WebhookReceivesTheBurstPayloadAsJson) {
  HookServer server;
  double now = 1000;
  auto d = dispatcher_for(make_webhook_notifier(server.url("/ok"), short_timeouts()), fast(), &now);
  EXPECT_EQ(d->submit(burst_alert()), SubmitResult::kQueued);
  ASSERT_TRUE(d->flush(10s));
  ASSERT_EQ(server.requests(), 1u);
  EXPECT_EQ(server.content_type(), "application/json");
  const auto body = nlohmann::json::parse(server.bodies()[0]);
  EXPECT_EQ(body["type"], "burst");
  EXPECT_EQ(body["hits_in_window"], 10);
  EXPECT_EQ(body["window_min"], 5.0);
  EXPECT_EQ(body["threshold"], 10);
  EXPECT_EQ(body["top_context"]["service"], "http");
  EXPECT_EQ(body["first_seen"], "2023-11-14T22:13:20Z");
  EXPECT_EQ(body["last_seen"], "2023-11-14T22:14:50Z");
  EXPECT_DOUBLE_EQ(body["score_max"].get<double>(), 0.909);
  EXPECT_EQ(body["example_flows"].size(), 3u);
  const auto deliveries = d->log().deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_TRUE(deliveries[0].ok);
  EXPECT_EQ(deliveries[0].http_status, 200);
  EXPECT_EQ(deliveries[0].attempts, 1);
}

TEST(DeliveryTest, A500IsRetriedAndTheSecondAttemptDelivers) {
  HookServer server;
  double now = 1000;
  auto d =
      dispatcher_for(make_webhook_notifier(server.url("/flaky"), short_timeouts()), fast(), &now);
  d->submit(burst_alert());
  ASSERT_TRUE(d->flush(10s));
  EXPECT_EQ(server.requests(), 2u);
  EXPECT_EQ(server.bodies()[0], server.bodies()[1]) << "the retry sends the same alert";
  const auto deliveries = d->log().deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_TRUE(deliveries[0].ok);
  EXPECT_EQ(deliveries[0].attempts, 2);
  EXPECT_EQ(d->stats().retries, 1u);
}

TEST(DeliveryTest, ATimeoutIsRetriedThenCountedAsAFailure) {
  HookServer server;
  double now = 1000;
  auto o = fast();
  o.max_attempts = 2;
  auto d = dispatcher_for(make_webhook_notifier(server.url("/slow"), short_timeouts()), o, &now);
  EXPECT_EQ(d->submit(burst_alert()), SubmitResult::kQueued);
  ASSERT_TRUE(d->flush(10s));
  EXPECT_EQ(server.requests(), 2u);
  const auto deliveries = d->log().deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_FALSE(deliveries[0].ok);
  EXPECT_EQ(deliveries[0].attempts, 2);
  EXPECT_EQ(deliveries[0].error, "timed out after 0.2 s");
  EXPECT_EQ(deliveries[0].error.find("127.0.0.1"), std::string::npos) << "no URL in errors";
  EXPECT_EQ(d->stats().failed, 1u);
}

TEST(DeliveryTest, A404IsNotRetried) {
  HookServer server;
  double now = 1000;
  auto d =
      dispatcher_for(make_webhook_notifier(server.url("/gone"), short_timeouts()), fast(), &now);
  d->submit(burst_alert());
  ASSERT_TRUE(d->flush(10s));
  EXPECT_EQ(server.requests(), 1u);
  EXPECT_EQ(d->log().deliveries().at(0).http_status, 404);
}

TEST(DeliveryTest, CooldownSendsTheSameBurstOncePerPeriod) {
  HookServer server;
  double now = 1000;
  auto o = fast();
  o.cooldown_s = 600;
  auto d = dispatcher_for(make_webhook_notifier(server.url("/ok"), short_timeouts()), o, &now);
  const Alert a = burst_alert();
  EXPECT_EQ(d->submit(a), SubmitResult::kQueued);
  now += 300;
  EXPECT_EQ(d->submit(a), SubmitResult::kSuppressed);
  ASSERT_TRUE(d->flush(10s));
  EXPECT_EQ(server.requests(), 1u);
  now += 301;
  EXPECT_EQ(d->submit(a), SubmitResult::kQueued);
  ASSERT_TRUE(d->flush(10s));
  EXPECT_EQ(server.requests(), 2u);
}

TEST(DeliveryTest, SlackGetsReadableTextAndBlocks) {
  HookServer server;
  double now = 1000;
  auto d = dispatcher_for(make_slack_notifier(server.url("/ok"), short_timeouts()), fast(), &now);
  d->submit(burst_alert());
  ASSERT_TRUE(d->flush(10s));
  ASSERT_EQ(server.requests(), 1u);
  const auto body = nlohmann::json::parse(server.bodies()[0]);
  const auto text = body["text"].get<std::string>();
  EXPECT_NE(text.find("burst"), std::string::npos);
  EXPECT_NE(text.find("10 anomalies in 5 min, mostly tcp/http/FIN"), std::string::npos);
  ASSERT_TRUE(body["blocks"].is_array());
  EXPECT_EQ(body["blocks"][0]["type"], "header");
  const auto dump = body["blocks"].dump();
  EXPECT_NE(dump.find("*hits_in_window*\\n10"), std::string::npos) << dump;
  EXPECT_NE(dump.find("*top_context*\\ntcp/http/FIN"), std::string::npos) << dump;
}

TEST(DeliveryAdversarialTest, SlackTextEscapesMentionsAndLinksFromTraffic) {
  Alert a;
  a.type = "new_category";
  a.context = "service:<!channel>";
  a.summary = "service value(s) never seen in training: <!channel> <http://x|click> & more";
  a.payload = {{"values", "<!here>"}, {"top_context", {{"proto", "<@U1>"}, {"service", "-"}}}};
  const auto msg = slack_message(a);
  const auto dump = msg.dump();
  for (const char* raw : {"<!channel>", "<!here>", "<http://x|click>", "<@U1>"}) {
    EXPECT_EQ(dump.find(raw), std::string::npos) << raw << " in " << dump;
  }
  EXPECT_NE(
      msg["text"].get<std::string>().find("&lt;!channel&gt; &lt;http://x|click&gt; &amp; more"),
      std::string::npos);
  EXPECT_NE(dump.find("&lt;!here&gt;"), std::string::npos);
}

TEST(DeliveryTest, SlackMessageLinksEachNamedHostToItsDashboardPage) {
  Alert a;
  a.type = "behaviour";
  a.kind = "port_scan";
  a.context = "10.0.0.5";
  a.summary = "port scan: 10.0.0.5 probed 412 ports of 10.0.0.9";
  a.payload = {{"hosts", {{"src", "10.0.0.5"}, {"dst", "10.0.0.9"}}},
               {"example_flows",
                {{{"id", 1},
                  {"srcip", "10.0.0.5"},
                  {"sport", 4431},
                  {"dstip", "10.0.0.9"},
                  {"dsport", 22},
                  {"proto", "tcp"},
                  {"service", "ssh"},
                  {"state", "INT"},
                  {"score", 0.5}}}}};
  const auto linked = slack_message(a, "https://fs.example.org/").dump();
  EXPECT_NE(linked.find("<https://fs.example.org/#/hosts/10.0.0.5|10.0.0.5>"), std::string::npos)
      << linked;
  EXPECT_NE(linked.find("<https://fs.example.org/#/hosts/10.0.0.9|10.0.0.9>"), std::string::npos);
  EXPECT_NE(linked.find("10.0.0.5:4431 → 10.0.0.9:22 tcp/ssh/INT"), std::string::npos) << linked;
  const auto plain = slack_message(a).dump();
  EXPECT_EQ(plain.find("#/hosts/"), std::string::npos);
  EXPECT_NE(plain.find("Hosts: 10.0.0.5, 10.0.0.9"), std::string::npos) << plain;
}

TEST(DeliveryTest, UnreachableServerFailsWithoutLeakingTheUrl) {
  double now = 1000;
  auto o = fast();
  o.max_attempts = 2;
  // Port 1 on loopback: nothing listens there.
  auto d = dispatcher_for(
      make_webhook_notifier("http://127.0.0.1:1/secret-token", short_timeouts()), o, &now);
  d->submit(burst_alert());
  ASSERT_TRUE(d->flush(10s));
  const auto deliveries = d->log().deliveries();
  ASSERT_EQ(deliveries.size(), 1u);
  EXPECT_FALSE(deliveries[0].ok);
  EXPECT_EQ(deliveries[0].attempts, 2);
  EXPECT_EQ(deliveries[0].error.find("secret-token"), std::string::npos);
}

}  // namespace
}  // namespace flowsentry::detect
