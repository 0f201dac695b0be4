#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <future>

#include <gtest/gtest.h>

#include "siem/file_transport.h"
#include "siem/outputs.h"
#include "siem/tests/samples.h"
#include "siem/webhook_transport.h"

namespace flowsentry::siem {
namespace {

namespace fs = std::filesystem;
using std::chrono::seconds;

fs::path temp_dir(const std::string& name) {
  auto d = fs::temp_directory_path() / ("siem_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::vector<std::string> lines(const fs::path& p) {
  std::vector<std::string> out;
  std::ifstream in(p);
  for (std::string l; std::getline(in, l);) out.push_back(l);
  return out;
}

// Records what it is given; fails the first `failures` attempts; can hold every delivery
// until released, to fill the queue.
class FakeTransport : public Transport {
 public:
  struct State {
    std::vector<std::string> got;
    int attempts = 0;
    int failures = 0;
    bool retryable = true;
    bool sigpipe = false;  // what a write to a socket closed by its peer raises
    std::shared_future<void> hold;
  };
  explicit FakeTransport(std::shared_ptr<State> s) : s_(std::move(s)) {}
  Delivery deliver(const std::string& record) override {
    if (s_->hold.valid()) s_->hold.wait();
    ++s_->attempts;
    if (s_->sigpipe) pthread_kill(pthread_self(), SIGPIPE);
    if (s_->failures > 0) {
      --s_->failures;
      return {false, s_->retryable, "refused"};
    }
    s_->got.push_back(record);
    return {true, false, {}};
  }

 private:
  std::shared_ptr<State> s_;
};

OutputOptions quick(Filter filter, const std::string& name) {
  OutputOptions o;
  o.name = name;
  o.filter = filter;
  o.backoff_initial_s = 0;
  o.max_attempts = 3;
  return o;
}

Formatter kinds() {
  return [](const Record& r) -> std::optional<std::string> {
    if (const auto* f = std::get_if<model::ScoredFlow>(&r)) {
      return f->verdict.label ? "anomaly" : "normal";
    }
    return "alert";
  };
}

TEST(OutputTest, FiltersPickAnomaliesAlertsOrEverything) {
  const auto batch = testing::sample_verdicts();  // one anomaly, one normal
  std::map<Filter, std::vector<std::string>> want = {
      {Filter::kAnomalies, {"anomaly"}},
      {Filter::kAlerts, {"alert"}},
      {Filter::kAll, {"anomaly", "normal", "alert"}}};
  for (const auto& [filter, expected] : want) {
    auto state = std::make_shared<FakeTransport::State>();
    Output out(quick(filter, "filter-test"), kinds(), std::make_unique<FakeTransport>(state));
    out.offer(batch);
    out.offer(testing::burst_alert());
    ASSERT_TRUE(out.flush(seconds(10)));
    EXPECT_EQ(state->got, expected);
    EXPECT_EQ(out.stats().sent, expected.size());
  }
}

// A `run` worker leaves its anomalies to the alerter, which reads them from the anomalies topic
// and offers them as a batch of its own: each anomaly is forwarded once.
TEST(OutputTest, AWorkerLeavesAnomaliesToTheAlerter) {
  const auto batch = testing::sample_verdicts();  // one anomaly, one normal
  std::map<Filter, std::vector<std::string>> want = {{Filter::kAnomalies, {"anomaly"}},
                                                     {Filter::kAll, {"normal", "anomaly"}}};
  for (const auto& [filter, expected] : want) {
    auto state = std::make_shared<FakeTransport::State>();
    Output out(quick(filter, "split-test"), kinds(), std::make_unique<FakeTransport>(state));
    out.offer(batch, true);  // the worker
    ASSERT_TRUE(out.flush(seconds(10)));
    std::vector<model::ScoredFlow> read_back;  // the alerter: anomalies only
    for (const auto& f : batch) {
      if (f.verdict.label) read_back.push_back(f);
    }
    out.offer(read_back);
    ASSERT_TRUE(out.flush(seconds(10)));
    EXPECT_EQ(state->got, expected);
  }
}

TEST(OutputTest, RetryableFailuresAreRetriedThenDelivered) {
  auto state = std::make_shared<FakeTransport::State>();
  state->failures = 2;
  Output out(quick(Filter::kAlerts, "retry-test"), kinds(), std::make_unique<FakeTransport>(state));
  out.offer(testing::burst_alert());
  ASSERT_TRUE(out.flush(seconds(10)));
  EXPECT_EQ(state->attempts, 3);
  EXPECT_EQ(out.stats().sent, 1u);
  EXPECT_EQ(out.stats().retries, 2u);
  EXPECT_EQ(out.stats().dropped, 0u);
}

TEST(OutputTest, ARecordOutOfAttemptsIsDroppedAndCounted) {
  auto state = std::make_shared<FakeTransport::State>();
  state->failures = 100;
  Output out(quick(Filter::kAlerts, "giveup-test"), kinds(),
             std::make_unique<FakeTransport>(state));
  out.offer(testing::burst_alert());
  ASSERT_TRUE(out.flush(seconds(10)));
  EXPECT_EQ(state->attempts, 3);
  EXPECT_EQ(out.stats().dropped, 1u);
  EXPECT_NE(MetricsRegistry::global().render().find(
                "flowsentry_siem_dropped_total{output=\"giveup-test\",reason=\"attempts\"} 1"),
            std::string::npos);
}

TEST(OutputTest, AdversarialFloodOverflowsTheQueueWithoutBlockingTheCaller) {
  auto state = std::make_shared<FakeTransport::State>();
  std::promise<void> release;
  state->hold = release.get_future().share();
  auto o = quick(Filter::kAlerts, "flood-test");
  o.queue_capacity = 5;
  Output out(o, kinds(), std::make_unique<FakeTransport>(state));
  for (int i = 0; i < 100; ++i) out.offer(testing::burst_alert());  // returns at once
  release.set_value();
  ASSERT_TRUE(out.flush(seconds(10)));
  const auto s = out.stats();
  EXPECT_EQ(s.sent + s.dropped, 100u);
  EXPECT_LE(s.sent, 6u);  // the queue plus the one in the worker's hands
  EXPECT_GE(s.dropped, 94u);
}

// A destination that is down costs `failures` attempts, not max_attempts per record: the
// circuit opens and the rest are dropped at once, counted by reason.
TEST(OutputTest, AdversarialDownDestinationOpensTheCircuitAndDropsTheRestAtOnce) {
  auto state = std::make_shared<FakeTransport::State>();
  state->failures = 1000000;
  auto o = quick(Filter::kAlerts, "circuit-test");
  o.max_attempts = 5;
  o.circuit = {3, 3600, 3600};
  Output out(o, kinds(), std::make_unique<FakeTransport>(state));
  for (int i = 0; i < 50; ++i) out.offer(testing::burst_alert());
  ASSERT_TRUE(out.flush(seconds(10)));
  EXPECT_EQ(state->attempts, 3);
  const auto s = out.stats();
  EXPECT_EQ(s.dropped, 50u);
  EXPECT_EQ(s.dropped_circuit_open, 50u);
  EXPECT_EQ(s.circuit_opened, 1u);
  const auto metrics = MetricsRegistry::global().render();
  EXPECT_NE(
      metrics.find(
          "flowsentry_siem_dropped_total{output=\"circuit-test\",reason=\"circuit_open\"} 50"),
      std::string::npos);
  EXPECT_NE(metrics.find("flowsentry_siem_circuit_open{output=\"circuit-test\"} 1"),
            std::string::npos);
}

// With no open time left, each record after the circuit opened is a probe with one attempt;
// the first that gets through closes the circuit and the rest flow normally.
TEST(OutputTest, AProbeThatSucceedsClosesTheCircuit) {
  auto state = std::make_shared<FakeTransport::State>();
  state->failures = 3;
  auto o = quick(Filter::kAlerts, "probe-test");
  o.max_attempts = 5;
  o.circuit = {2, 0, 0};
  Output out(o, kinds(), std::make_unique<FakeTransport>(state));
  for (int i = 0; i < 5; ++i) out.offer(testing::burst_alert());
  ASSERT_TRUE(out.flush(seconds(10)));
  // Record 1: two failures open it; record 2: the probe fails; record 3: the probe succeeds.
  EXPECT_EQ(state->attempts, 6);
  const auto s = out.stats();
  EXPECT_EQ(s.sent, 3u);
  EXPECT_EQ(s.dropped_circuit_open, 2u);
  EXPECT_EQ(s.circuit_opened, 2u);
  EXPECT_EQ(s.retries, 1u);
}

// A real closed port: connection refused on every attempt.
TEST(OutputsTest, AdversarialSyslogToAClosedPortOpensTheCircuit) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len), 0);
  ::close(fd);  // nobody listens there now
  OutputDefaults d;
  d.backoff_s = 0;
  d.circuit_failures = 2;
  d.circuit_open_s = 3600;
  auto outputs = Outputs::create(
      "syslog tcp://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + " name=closed-port", d);
  ASSERT_TRUE(outputs.ok()) << outputs.error().to_string();
  auto& out = *(*outputs)->outputs()[0];
  for (int i = 0; i < 20; ++i) out.offer(testing::burst_alert());
  ASSERT_TRUE(out.flush(seconds(20)));
  const auto s = out.stats();
  EXPECT_EQ(s.sent, 0u);
  EXPECT_EQ(s.dropped_circuit_open, 20u);
  EXPECT_EQ(s.circuit_opened, 1u);
  EXPECT_EQ(s.retries, 1u);  // two attempts in all
}

TEST(OutputTest, AdversarialPeerClosingTheSocketCannotEndTheProcess) {
  auto state = std::make_shared<FakeTransport::State>();
  state->sigpipe = true;
  Output out(quick(Filter::kAlerts, "sigpipe-test"), kinds(),
             std::make_unique<FakeTransport>(state));
  out.offer(testing::burst_alert());
  ASSERT_TRUE(out.flush(seconds(10)));
  EXPECT_EQ(out.stats().sent, 1u);  // still here: SIGPIPE is blocked in the output's thread
}

TEST(FileTransportTest, RotatesBySizeAndKeepsN) {
  const auto dir = temp_dir("rotate");
  FileTransport t({(dir / "out.jsonl").string(), 25, 2});
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(t.deliver("record-" + std::to_string(i) + "xxx").ok);
  t.idle();
  // 12 bytes a line, two lines a file: 6-7 in out.jsonl, 4-5 in .1, 2-3 in .2, 0-1 gone.
  EXPECT_EQ(lines(dir / "out.jsonl"), (std::vector<std::string>{"record-6xxx", "record-7xxx"}));
  EXPECT_EQ(lines(dir / "out.jsonl.1"), (std::vector<std::string>{"record-4xxx", "record-5xxx"}));
  EXPECT_EQ(lines(dir / "out.jsonl.2"), (std::vector<std::string>{"record-2xxx", "record-3xxx"}));
  EXPECT_FALSE(fs::exists(dir / "out.jsonl.3"));
  fs::remove_all(dir);
}

TEST(FileTransportTest, AnUnwritablePathIsARetryableFailure) {
  FileTransport t({"/nonexistent-dir/x/out.jsonl", 1000, 1});
  const auto d = t.deliver("x");
  EXPECT_FALSE(d.ok);
  EXPECT_TRUE(d.retryable);
}

TEST(OutputsTest, FileOutputWritesEcsLinesOfAnomalies) {
  const auto dir = temp_dir("outputs");
  const auto path = dir / "ecs.jsonl";
  auto outputs = Outputs::create("file " + path.string() + " filter=anomalies", OutputDefaults{});
  ASSERT_TRUE(outputs.ok()) << outputs.error().to_string();
  (*outputs)->observe(testing::sample_verdicts());
  (*outputs)->alert(testing::burst_alert());  // not for this filter
  ASSERT_TRUE((*outputs)->flush(seconds(10)));
  const auto got = lines(path);
  ASSERT_EQ(got.size(), 1u);
  const auto doc = nlohmann::json::parse(got[0]);
  EXPECT_EQ(doc["event"]["kind"], "alert");
  EXPECT_EQ(doc["source"]["ip"], "10.0.0.5");
  fs::remove_all(dir);
}

TEST(OutputsTest, OcsfFileOutputWritesFindingsOfAlerts) {
  const auto dir = temp_dir("ocsf");
  const auto path = dir / "ocsf.jsonl";
  auto outputs = Outputs::create("file " + path.string() + " format=ocsf", OutputDefaults{});
  ASSERT_TRUE(outputs.ok()) << outputs.error().to_string();
  (*outputs)->alert(testing::behaviour_alert());
  ASSERT_TRUE((*outputs)->flush(seconds(10)));
  const auto got = lines(path);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(got[0])["class_uid"], 2004);
  fs::remove_all(dir);
}

TEST(WebhookSignatureTest, IsHmacSha256OfTimestampDotBody) {
  // python3 -c 'import hmac,hashlib;print(hmac.new(b"s3cret",b"1700000000.{\"a\":1}",
  //   hashlib.sha256).hexdigest())'
  EXPECT_EQ(webhook_signature("s3cret", "1700000000", "{\"a\":1}"),
            "sha256=1698a50bc74d1ff1db85c4e0a5297c2ad9fdba245d5737cdb789e4cc6e098940");
}

}  // namespace
}  // namespace flowsentry::siem
