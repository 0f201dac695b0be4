// Target-keyed detectors across workers, against a real Kafka broker: a SYN flood on one target
// from many spoofed sources, keyed by source as `capture`/`produce` key flows, so two workers
// each see a share under behaviour.flood_packets. The workers publish flow summaries keyed by
// target; the alerter runs the per-target flood table on all of them and raises exactly one
// `flood` alert naming the target, whatever garbage is also on the summaries topic. One worker,
// and one `role=all` process, give the same alert.
#include <atomic>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/tests/process.h"
#include "common/clock.h"
#include "common/testing/kafka.h"
#include "flow/json_codec.h"
#include "store/store.h"
#include "stream/generator.h"
#include "stream/kafka_producer.h"

namespace flowsentry::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kBinary = FLOWSENTRY_BINARY;
const std::string kSource = FLOWSENTRY_SOURCE_DIR;
const std::string kTarget = "10.9.9.9";
constexpr int kFloodFlows = 1500;  // one SYN each; behaviour.flood_packets is 1000

// Receives the alerts every process sends to alert.webhook_url.
class AlertReceiver {
 public:
  AlertReceiver() {
    server_.Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      auto j = nlohmann::json::parse(req.body, nullptr, false);
      if (!j.is_discarded()) {
        std::lock_guard lock(mu_);
        alerts_.push_back(j);
      }
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~AlertReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return fmt::format("http://127.0.0.1:{}/hook", port_); }
  std::vector<nlohmann::json> floods() {
    std::lock_guard lock(mu_);
    std::vector<nlohmann::json> out;
    for (const auto& a : alerts_) {
      if (a.value("kind", "") == "flood") out.push_back(a);
    }
    return out;
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<nlohmann::json> alerts_;
};

class ScaleOutTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    brokers_ = start_test_kafka("scaleout");
    dir_ = fs::temp_directory_path() / ("fs_scaleout_" + std::to_string(getpid()));
    fs::create_directories(dir_);
  }
  static void TearDownTestSuite() {
    stop_test_kafka();
    if (!::testing::Test::HasFailure()) fs::remove_all(dir_);
  }

  void SetUp() override { ASSERT_FALSE(brokers_.empty()) << "scripts/kafka start failed"; }

  // A scenario of its own: topics, consumer groups, stores and an alert receiver.
  void begin(const std::string& scenario) {
    name_ = scenario;
    receiver_ = std::make_unique<AlertReceiver>();
    // Four flow partitions, so two workers get two each.
    ASSERT_TRUE(stream::create_topic(brokers_, topic("flows"), 4).ok());
    for (const auto& t : {"summaries", "anomalies"}) {
      ASSERT_TRUE(stream::create_topic(brokers_, topic(t), 2).ok());
    }
  }

  std::string topic(const std::string& what) const { return what + "_" + name_; }
  std::string log_path(const std::string& tag) const {
    return (dir_ / (name_ + "-" + tag + ".log")).string();
  }

  std::unique_ptr<Process> start(const std::string& tag, const std::string& role) {
    std::vector<std::string> argv{kBinary,     "run",
                                  "--role",    role,
                                  "--brokers", brokers_,
                                  "--topic",   topic("flows"),
                                  "--group",   "g_" + name_,
                                  "--store",   (dir_ / (name_ + "-" + tag + ".db")).string(),
                                  "--model",   kSource + "/models/default",
                                  "--port",    "0"};
    for (const auto& s : {"pipeline.batch_ms=20", "behaviour.flood_packets=1000"}) {
      argv.insert(argv.end(), {"--set", s});
    }
    argv.insert(argv.end(), {"--set", "kafka.anomalies_topic=" + topic("anomalies"), "--set",
                             "kafka.dlq_topic=" + topic("dlq"), "--set",
                             "kafka.summaries_topic=" + topic("summaries"), "--set",
                             "alert.webhook_url=" + receiver_->url()});
    return std::make_unique<Process>(argv, log_path(tag));
  }

  // Waits until the process's consumer was given partitions of `topic_name`.
  static bool wait_assigned(Process& p, const std::string& topic_name,
                            std::chrono::seconds timeout = 60s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
      const auto log = p.log();
      for (auto at = log.find("assigned"); at != std::string::npos;
           at = log.find("assigned", at + 1)) {
        if (log.substr(at, log.find('\n', at) - at).find(topic_name) != std::string::npos) {
          return true;
        }
      }
      std::this_thread::sleep_for(200ms);
    }
    return false;
  }

  // The flood, keyed by source address as `capture` and `produce` key flows.
  void produce_flood() {
    stream::ProducerConfig pc;
    pc.brokers = brokers_;
    auto producer = stream::KafkaProducer::create(pc);
    ASSERT_TRUE(producer.ok()) << producer.error().to_string();
    stream::GeneratorOptions g;
    g.seed = 3;
    stream::FlowGenerator gen(g);
    const double t0 = wall_seconds();
    for (int i = 0; i < kFloodFlows; ++i) {
      auto f = gen.next_normal();
      f.stime = t0 + i * 0.002;
      f.ltime = f.stime;
      f.srcip = fmt::format("172.16.{}.{}", i >> 8 & 255, i & 255);
      f.sport = 1024 + i;
      f.dstip = kTarget;
      f.dsport = 80;
      f.proto = "tcp";
      f.state = "REQ";
      f.service = "-";
      f[flow::kSpkts] = 1;
      f[flow::kDpkts] = 0;
      f[flow::kSbytes] = 60;
      f[flow::kDbytes] = 0;
      f[flow::kDur] = 0;
      ASSERT_TRUE((*producer)->produce(topic("flows"), *f.srcip, flow::to_json(f)).ok());
    }
    ASSERT_TRUE((*producer)->flush(30s).ok());
  }

  // Hostile messages on the summaries topic: the alerter counts and skips them.
  void produce_garbage_summaries() {
    stream::ProducerConfig pc;
    pc.brokers = brokers_;
    auto producer = stream::KafkaProducer::create(pc);
    ASSERT_TRUE(producer.ok()) << producer.error().to_string();
    for (const auto& bad : std::vector<std::string>{
             "{\"not\":\"binary\"}", std::string("\x01\x05\x00", 3), std::string()}) {
      ASSERT_TRUE((*producer)->produce(topic("summaries"), kTarget, bad).ok());
    }
    ASSERT_TRUE((*producer)->flush(30s).ok());
  }

  // Flows a worker stored (its own SQLite file).
  int64_t stored(const std::string& tag) {
    auto s = store::open_store((dir_ / (name_ + "-" + tag + ".db")).string());
    if (!s.ok()) return -1;
    store::Query q;
    q.from = 0;
    q.to = 4e9;
    auto n = (*s)->count(q);
    return n.ok() ? *n : -1;
  }

  // Waits for the first flood alert, then a while for a second one that must not come.
  std::vector<nlohmann::json> floods_after_settling(const std::vector<std::string>& workers) {
    auto end = std::chrono::steady_clock::now() + 60s;
    int64_t total = 0;
    while (std::chrono::steady_clock::now() < end) {
      total = 0;
      for (const auto& w : workers) total += std::max<int64_t>(0, stored(w));
      if (total >= kFloodFlows && !receiver_->floods().empty()) break;
      std::this_thread::sleep_for(250ms);
    }
    EXPECT_EQ(total, kFloodFlows);
    std::this_thread::sleep_for(3s);
    return receiver_->floods();
  }

  static void expect_one_flood_on_the_target(const std::vector<nlohmann::json>& floods,
                                             const std::string& logs) {
    ASSERT_EQ(floods.size(), 1u) << logs;
    EXPECT_EQ(floods[0].value("context", ""), "syn:to:" + kTarget);
    EXPECT_EQ(floods[0]["hosts"]["dst"], kTarget);
    EXPECT_EQ(floods[0]["evidence"]["class_packets"], 1000);
  }

  static inline std::string brokers_;
  static inline fs::path dir_;
  std::string name_;
  std::unique_ptr<AlertReceiver> receiver_;

  void two_workers_and_an_alerter() {
    begin("two_workers");
    auto alerter = start("alerter", "alerter");
    auto a = start("worker-a", "worker");
    ASSERT_TRUE(wait_assigned(*a, topic("flows"))) << a->log_tail();
    auto b = start("worker-b", "worker");
    ASSERT_TRUE(wait_assigned(*b, topic("flows"))) << b->log_tail();
    ASSERT_TRUE(wait_assigned(*alerter, topic("summaries"))) << alerter->log_tail();
    produce_garbage_summaries();
    produce_flood();
    auto floods = floods_after_settling({"worker-a", "worker-b"});
    EXPECT_NE(alerter->log().find("bad flow-summary message: bad_version"), std::string::npos)
        << alerter->log_tail();
    // Both workers had a share, each under the threshold: no worker could see the flood.
    const int64_t share_a = stored("worker-a"), share_b = stored("worker-b");
    EXPECT_GT(share_a, 0);
    EXPECT_GT(share_b, 0);
    EXPECT_LT(share_a, 1000);
    EXPECT_LT(share_b, 1000);
    expect_one_flood_on_the_target(floods, alerter->log_tail() + a->log_tail() + b->log_tail());
  }

  // The worker sees the whole flood but leaves the target-keyed table to the alerter.
  void one_worker_and_an_alerter() {
    begin("one_worker");
    auto alerter = start("alerter", "alerter");
    auto w = start("worker", "worker");
    ASSERT_TRUE(wait_assigned(*w, topic("flows"))) << w->log_tail();
    ASSERT_TRUE(wait_assigned(*alerter, topic("summaries"))) << alerter->log_tail();
    produce_flood();
    expect_one_flood_on_the_target(floods_after_settling({"worker"}),
                                   alerter->log_tail() + w->log_tail());
  }

  void role_all_alone() {
    begin("role_all");
    auto all = start("all", "all");
    ASSERT_TRUE(wait_assigned(*all, topic("flows"))) << all->log_tail();
    produce_flood();
    expect_one_flood_on_the_target(floods_after_settling({"all"}), all->log_tail());
  }
};

// One test for the three deployments: the broker's start dominates the time (~35 s loaded).
TEST_F(ScaleOutTest, ASpoofedFloodIsOneAlertWithTwoWorkersOneWorkerOrRoleAll) {
  two_workers_and_an_alerter();
  one_worker_and_an_alerter();
  role_all_alone();
}

}  // namespace
}  // namespace flowsentry::testing
