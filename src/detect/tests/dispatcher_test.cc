// Dispatcher behaviour with in-process notifiers: queueing, retries, cooldown, rate limit and
// the bounded queue. Real HTTP delivery is in delivery_test.cc.
#include "detect/dispatcher.h"

#include <atomic>
#include <future>

#include <gtest/gtest.h>

namespace flowsentry::detect {
namespace {

using namespace std::chrono_literals;

// Replies with the scripted results in order, then succeeds. Can be held closed by a gate.
class ScriptedNotifier final : public Notifier {
 public:
  explicit ScriptedNotifier(std::vector<SendResult> script, std::shared_future<void> gate = {})
      : script_(std::move(script)), gate_(std::move(gate)) {}
  const std::string& name() const override { return name_; }
  SendResult send(const Alert& a) override {
    if (calls == 0) entered.set_value();
    if (gate_.valid()) gate_.wait();
    seen.push_back(a.key());
    const size_t i = calls++;
    return i < script_.size() ? script_[i] : SendResult{true, false, 200, {}};
  }
  std::atomic<size_t> calls{0};
  std::promise<void> entered;     // set when the first send() starts
  std::vector<std::string> seen;  // written by the worker only; read after flush()

 private:
  std::string name_ = "scripted";
  std::vector<SendResult> script_;
  std::shared_future<void> gate_;
};

DispatcherOptions fast() {
  DispatcherOptions o;
  o.backoff_initial_s = 0.001;
  o.backoff_max_s = 0.005;
  o.seed = 1;
  o.rate_per_min = 0;
  return o;
}

Alert alert(std::string context, double t = 0) {
  Alert a;
  a.type = "burst";
  a.context = std::move(context);
  a.summary = "test";
  a.time = t;
  return a;
}

struct Fixture {
  explicit Fixture(DispatcherOptions o, std::vector<SendResult> script = {},
                   std::shared_future<void> gate = {}) {
    auto n = std::make_unique<ScriptedNotifier>(std::move(script), std::move(gate));
    notifier = n.get();
    std::vector<std::unique_ptr<Notifier>> v;
    v.push_back(std::move(n));
    dispatcher = std::make_unique<Dispatcher>(o, std::move(v), nullptr, [this] { return now; });
  }
  double now = 1000;
  ScriptedNotifier* notifier;
  std::unique_ptr<Dispatcher> dispatcher;
};

TEST(DispatcherTest, RetriesRetryableFailuresThenDelivers) {
  Fixture f(fast(), {{false, true, 503, "HTTP 503"}, {false, true, 0, "timed out"}});
  EXPECT_EQ(f.dispatcher->submit(alert("a")), SubmitResult::kQueued);
  ASSERT_TRUE(f.dispatcher->flush(5s));
  EXPECT_EQ(f.notifier->calls, 3u);
  const auto s = f.dispatcher->stats();
  EXPECT_EQ(s.delivered, 1u);
  EXPECT_EQ(s.retries, 2u);
  const auto d = f.dispatcher->log().deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_TRUE(d[0].ok);
  EXPECT_EQ(d[0].attempts, 3);
  EXPECT_EQ(d[0].status, "delivered");
}

TEST(DispatcherTest, GivesUpAfterMaxAttemptsAndCountsTheFailure) {
  auto o = fast();
  o.max_attempts = 3;
  Fixture f(o, std::vector<SendResult>(10, {false, true, 500, "HTTP 500"}));
  f.dispatcher->submit(alert("a"));
  ASSERT_TRUE(f.dispatcher->flush(5s));
  EXPECT_EQ(f.notifier->calls, 3u);
  EXPECT_EQ(f.dispatcher->stats().failed, 1u);
  const auto d = f.dispatcher->log().deliveries();
  ASSERT_EQ(d.size(), 1u);
  EXPECT_FALSE(d[0].ok);
  EXPECT_EQ(d[0].attempts, 3);
  EXPECT_EQ(d[0].error, "HTTP 500");
}

TEST(DispatcherTest, DoesNotRetryAClientError) {
  Fixture f(fast(), {{false, false, 404, "HTTP 404"}});
  f.dispatcher->submit(alert("a"));
  ASSERT_TRUE(f.dispatcher->flush(5s));
  EXPECT_EQ(f.notifier->calls, 1u);
  EXPECT_EQ(f.dispatcher->stats().failed, 1u);
}

TEST(DispatcherTest, CooldownSuppressesTheSameKeyUntilItEnds) {
  auto o = fast();
  o.cooldown_s = 600;
  Fixture f(o);
  EXPECT_EQ(f.dispatcher->submit(alert("tcp/http/FIN")), SubmitResult::kQueued);
  f.now += 599;
  EXPECT_EQ(f.dispatcher->submit(alert("tcp/http/FIN")), SubmitResult::kSuppressed);
  EXPECT_EQ(f.dispatcher->submit(alert("udp/dns/INT")), SubmitResult::kQueued);
  f.now += 1;
  EXPECT_EQ(f.dispatcher->submit(alert("tcp/http/FIN")), SubmitResult::kQueued);
  ASSERT_TRUE(f.dispatcher->flush(5s));
  EXPECT_EQ(f.notifier->calls, 3u);
  const auto records = f.dispatcher->log().alerts();
  ASSERT_EQ(records.size(), 4u);
  EXPECT_EQ(records[1].disposition, "suppressed");
  EXPECT_EQ(f.dispatcher->stats().suppressed, 1u);
}

TEST(DispatcherAdversarialTest, AlertsOverTheRateLimitWaitForBudgetInsteadOfBeingDropped) {
  auto o = fast();
  o.cooldown_s = 0;
  o.rate_per_min = 1;
  o.rate_burst = 2;
  std::atomic<double> now{1000};
  auto n = std::make_unique<ScriptedNotifier>(std::vector<SendResult>{});
  auto* notifier = n.get();
  std::vector<std::unique_ptr<Notifier>> v;
  v.push_back(std::move(n));
  Dispatcher d(o, std::move(v), nullptr, [&] { return now.load(); });
  for (int i = 0; i < 4; ++i) d.submit(alert("k" + std::to_string(i)));
  EXPECT_FALSE(d.flush(300ms)) << "two alerts wait for budget";
  EXPECT_EQ(notifier->calls, 2u);
  EXPECT_GE(d.stats().rate_limited, 2u);
  now = now + 120;  // two minutes: budget for two more
  ASSERT_TRUE(d.flush(5s));
  EXPECT_EQ(notifier->calls, 4u);
  for (const auto& r : d.log().deliveries()) EXPECT_EQ(r.status, "delivered");
}

TEST(DispatcherAdversarialTest, TestAlertsSpendABudgetOfTheirOwn) {
  auto o = fast();
  o.cooldown_s = 0;
  o.rate_per_min = 1;
  o.rate_burst = 2;
  o.test_rate_per_min = 1;
  o.test_rate_burst = 3;
  Fixture f(o);
  for (int i = 0; i < 11; ++i) {
    auto a = alert("t" + std::to_string(i));
    a.type = "test";
    f.dispatcher->submit(a);
  }
  ASSERT_TRUE(f.dispatcher->flush(5s));
  EXPECT_EQ(f.notifier->calls, 3u);
  EXPECT_EQ(f.dispatcher->log().deliveries().back().status, "rate_limited");
  // Eleven tests later, real alerts still have their whole budget.
  f.dispatcher->submit(alert("real-1"));
  f.dispatcher->submit(alert("real-2"));
  ASSERT_TRUE(f.dispatcher->flush(5s));
  EXPECT_EQ(f.notifier->calls, 5u);
  EXPECT_EQ(f.dispatcher->log().deliveries().back().status, "delivered");
}

TEST(DispatcherTest, AFullQueueDropsAlertsWithoutBlockingTheCaller) {
  auto o = fast();
  o.cooldown_s = 0;
  o.queue_capacity = 2;
  std::promise<void> open;
  Fixture f(o, {}, open.get_future().share());
  // The worker takes the first job and blocks in send(); two more fill the queue.
  auto entered = f.notifier->entered.get_future();
  EXPECT_EQ(f.dispatcher->submit(alert("1")), SubmitResult::kQueued);
  entered.wait();  // the worker holds job 1 and is stuck in send()
  EXPECT_EQ(f.dispatcher->submit(alert("2")), SubmitResult::kQueued);
  EXPECT_EQ(f.dispatcher->submit(alert("3")), SubmitResult::kQueued);
  EXPECT_EQ(f.dispatcher->submit(alert("4")), SubmitResult::kDropped);
  EXPECT_EQ(f.dispatcher->stats().dropped, 1u);
  open.set_value();
  ASSERT_TRUE(f.dispatcher->flush(5s));
  EXPECT_EQ(f.notifier->calls, 3u);
  EXPECT_EQ(f.dispatcher->log().alerts().back().disposition, "dropped");
}

TEST(DispatcherTest, HooksSeeAlertsAndDeliveries) {
  auto log = std::make_shared<AlertLog>();
  std::vector<std::string> seen;
  std::mutex mu;
  log->on_alert([&](const AlertRecord& r) {
    std::lock_guard lk(mu);
    seen.push_back("alert " + r.alert.key() + " " + r.disposition);
  });
  log->on_delivery([&](const DeliveryRecord& r) {
    std::lock_guard lk(mu);
    seen.push_back("delivery " + r.notifier + " " + r.status);
  });
  std::vector<std::unique_ptr<Notifier>> v;
  v.push_back(make_log_notifier());
  Dispatcher d(fast(), std::move(v), log);
  d.submit(alert("x"));
  ASSERT_TRUE(d.flush(5s));
  std::lock_guard lk(mu);
  EXPECT_EQ(seen, (std::vector<std::string>{"alert burst:x queued", "delivery log delivered"}));
}

}  // namespace
}  // namespace flowsentry::detect
