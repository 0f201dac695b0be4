// `flowsentry run` against a real Kafka broker and a real PostgreSQL server, both started by
// the suite on free loopback ports: the scenarios of the streaming pipeline issue. Each test
// uses its own topic, consumer group and database.
#include <libpq-fe.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/tests/process.h"
#include "common/clock.h"
#include "flow/json_codec.h"
#include "pipeline/anomaly_message.h"
#include "store/store.h"
#include "stream/generator.h"
#include "stream/kafka_consumer.h"
#include "stream/kafka_producer.h"

namespace flowsentry::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kBinary = FLOWSENTRY_BINARY;
const std::string kSource = FLOWSENTRY_SOURCE_DIR;

class RunTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_ = fs::temp_directory_path() / ("fs_run_it_" + std::to_string(getpid()));
    fs::create_directories(state_);
    auto env =
        "FLOWSENTRY_KAFKA_DIR=" + (state_ / "kafka").string() +
        " FLOWSENTRY_KAFKA_PARTITIONS=6 FLOWSENTRY_KAFKA_OWNER_PID=" + std::to_string(getpid()) +
        " ";
    auto [kc, brokers] =
        shell(env + kSource + "/scripts/kafka start 2>" + (state_ / "kafka-start.log").string());
    ASSERT_EQ(kc, 0) << "scripts/kafka start failed; see " << (state_ / "kafka-start.log");
    brokers_ = brokers.substr(brokers.find_last_of('\n') + 1);
    auto [pc, url] = shell("FLOWSENTRY_PG_DIR=" + (state_ / "pg").string() + " " + kSource +
                           "/scripts/postgres start 2>" + (state_ / "pg-start.log").string());
    ASSERT_EQ(pc, 0) << "scripts/postgres start failed; see " << (state_ / "pg-start.log");
    pg_url_ = url.substr(url.find_last_of('\n') + 1);
  }
  static void TearDownTestSuite() {
    shell("FLOWSENTRY_KAFKA_DIR=" + (state_ / "kafka").string() + " " + kSource +
          "/scripts/kafka stop >/dev/null 2>&1");
    shell("FLOWSENTRY_PG_DIR=" + (state_ / "pg").string() + " " + kSource +
          "/scripts/postgres stop >/dev/null 2>&1");
    if (!::testing::Test::HasFailure()) fs::remove_all(state_);
  }

  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    for (auto& c : name_) c = static_cast<char>(std::tolower(c));
    topic_ = "flows_" + name_;
    // A database of the test's own.
    PGconn* c = PQconnectdb(pg_url_.c_str());
    ASSERT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PQclear(PQexec(c, ("DROP DATABASE IF EXISTS " + name_).c_str()));
    auto* r = PQexec(c, ("CREATE DATABASE " + name_).c_str());
    ASSERT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQerrorMessage(c);
    PQclear(r);
    PQfinish(c);
    db_url_ = pg_url_.substr(0, pg_url_.find_last_of('/') + 1) + name_;
  }

  std::string log_path(const std::string& what) {
    return (state_ / (name_ + "-" + what + ".log")).string();
  }

  std::unique_ptr<Process> worker(const std::string& tag, const std::string& role = "worker",
                                  std::vector<std::string> extra = {}) {
    std::vector<std::string> argv{kBinary,     "run",
                                  "--role",    role,
                                  "--brokers", brokers_,
                                  "--topic",   topic_,
                                  "--group",   "g_" + name_,
                                  "--store",   db_url_,
                                  "--model",   kSource + "/models/default",
                                  "--port",    "0",
                                  "--set",     "pipeline.batch_ms=20",
                                  "--set",     "kafka.anomalies_topic=anomalies_" + name_,
                                  "--set",     "kafka.dlq_topic=dlq_" + name_};
    argv.insert(argv.end(), extra.begin(), extra.end());
    return std::make_unique<Process>(argv, log_path(tag));
  }

  int produce(std::vector<std::string> args) {
    std::vector<std::string> argv{kBinary,   "produce", "--brokers", brokers_,
                                  "--topic", topic_,    "--quiet"};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, log_path("produce"));
    int code = p.wait(180s);
    EXPECT_EQ(code, 0) << p.log_tail();
    return code;
  }

  int64_t stored() {
    auto s = store::open_store(db_url_);
    if (!s.ok()) return -1;
    store::Query q;
    q.from = 0;
    q.to = 4e9;
    auto n = (*s)->count(q);
    return n.ok() ? *n : -1;
  }

  // Rows and distinct record keys, straight from the table.
  std::pair<int64_t, int64_t> rows_and_keys() {
    PGconn* c = PQconnectdb(db_url_.c_str());
    auto* r = PQexec(c,
                     "SELECT count(*), count(DISTINCT (source, source_partition, source_offset)) "
                     "FROM anomaly_scores");
    std::pair<int64_t, int64_t> out{-1, -1};
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      out = {std::stoll(PQgetvalue(r, 0, 0)), std::stoll(PQgetvalue(r, 0, 1))};
    }
    PQclear(r);
    PQfinish(c);
    return out;
  }

  // Waits until `want` rows are stored (or the timeout); returns the last count seen.
  int64_t wait_stored(int64_t want, std::chrono::seconds timeout = 120s) {
    auto end = std::chrono::steady_clock::now() + timeout;
    int64_t n = -1;
    while (std::chrono::steady_clock::now() < end) {
      n = stored();
      if (n >= want) return n;
      std::this_thread::sleep_for(250ms);
    }
    return n;
  }

  void expect_exactly(int64_t n) {
    auto [rows, keys] = rows_and_keys();
    EXPECT_EQ(rows, n);
    EXPECT_EQ(keys, n);  // each record key once: nothing duplicated
  }

  static inline fs::path state_;
  static inline std::string brokers_, pg_url_;
  std::string name_, topic_, db_url_;
};

TEST_F(RunTest, EveryProducedFlowIsStoredExactlyOnce) {
  auto w = worker("worker");
  ASSERT_EQ(produce({"--data", "generator:normal", "--count", "100000"}), 0);
  EXPECT_EQ(wait_stored(100000), 100000) << w->log_tail();
  std::this_thread::sleep_for(1s);
  expect_exactly(100000);
}

TEST_F(RunTest, AWorkerKilledMidStreamLosesAndDuplicatesNothing) {
  ASSERT_EQ(produce({"--data", "generator:normal", "--count", "100000"}), 0);
  auto w = worker("worker-1");
  wait_stored(20000);
  w->kill(SIGKILL);
  w->wait(10s);
  int64_t before = stored();
  EXPECT_LT(before, 100000) << "the worker finished before it could be killed";
  auto again = worker("worker-2");
  EXPECT_EQ(wait_stored(100000), 100000) << again->log_tail();
  std::this_thread::sleep_for(1s);
  expect_exactly(100000);
}

TEST_F(RunTest, ADatabaseOutageHoldsTheWorkerBackAndLosesNothing) {
  auto w = worker("worker");
  std::thread producer([&] {
    produce({"--data", "generator:normal", "--count", "60000", "--eps", "4000"});
  });
  wait_stored(10000);
  auto [code, out] = shell("FLOWSENTRY_PG_DIR=" + (state_ / "pg").string() + " " + kSource +
                           "/scripts/postgres restart 10 2>&1");
  EXPECT_EQ(code, 0) << out;
  producer.join();
  EXPECT_EQ(wait_stored(60000), 60000) << w->log_tail();
  expect_exactly(60000);
  EXPECT_NE(w->log().find("store write failed"), std::string::npos) << "no outage was seen";
}

TEST_F(RunTest, MalformedMessagesGoToTheDeadLetterTopicWithTheirReason) {
  auto w = worker("worker");
  ASSERT_EQ(produce({"--data", "generator:normal", "--count", "20000", "--malformed-rate", "0.01",
                     "--seed", "9"}),
            0);
  // Read the dead-letter topic from the start.
  stream::ConsumerConfig cc;
  cc.brokers = brokers_;
  cc.group = "dlq_reader_" + name_;
  cc.topics = {"dlq_" + name_};
  auto c = stream::KafkaConsumer::create(cc);
  ASSERT_TRUE(c.ok());
  std::vector<stream::KafkaMessage> dlq;
  auto end = std::chrono::steady_clock::now() + 60s;
  int64_t good = 0;
  while (std::chrono::steady_clock::now() < end) {
    (*c)->poll_batch(dlq, 1000, 500ms).value();
    good = stored();
    if (good + static_cast<int64_t>(dlq.size()) >= 20000) break;
  }
  EXPECT_GT(dlq.size(), 100u);
  EXPECT_LT(dlq.size(), 300u);
  EXPECT_EQ(good + static_cast<int64_t>(dlq.size()), 20000) << w->log_tail();
  for (const auto& m : dlq) {
    bool has_reason = false;
    for (const auto& [k, v] : m.headers) has_reason |= k == "flowsentry-reason" && !v.empty();
    EXPECT_TRUE(has_reason) << "message at offset " << m.offset << " has no reason header";
  }
  EXPECT_TRUE((*c)->close().ok());
}

// Reads `topic` from its start until `want` messages (or distinct keys, with `by_key`) arrived,
// or the timeout.
std::vector<stream::KafkaMessage> read_topic(const std::string& brokers, const std::string& topic,
                                             size_t want, std::chrono::seconds timeout,
                                             bool by_key = false) {
  stream::ConsumerConfig cc;
  cc.brokers = brokers;
  cc.group = "reader_" + topic;
  cc.topics = {topic};
  auto c = stream::KafkaConsumer::create(cc);
  EXPECT_TRUE(c.ok());
  std::vector<stream::KafkaMessage> out;
  if (!c.ok()) return out;
  auto end = std::chrono::steady_clock::now() + timeout;
  std::set<std::string> keys;
  while ((by_key ? keys.size() : out.size()) < want && std::chrono::steady_clock::now() < end) {
    const size_t before = out.size();
    (void)(*c)->poll_batch(out, 1000, 500ms);
    for (size_t i = before; i < out.size(); ++i) keys.insert(out[i].key);
  }
  EXPECT_TRUE((*c)->close().ok());
  return out;
}

// Ten poison records of five kinds among 1,000: 990 stored, 10 dead-lettered with a reason,
// and the worker goes on (a far-future stime once stalled a PostgreSQL worker forever).
TEST_F(RunTest, AdversarialPoisonRecordsAreDeadLetteredAndTheRestStored) {
  auto w = worker("worker");
  stream::ProducerConfig pc;
  pc.brokers = brokers_;
  auto producer = stream::KafkaProducer::create(pc);
  ASSERT_TRUE(producer.ok()) << producer.error().to_string();
  stream::GeneratorOptions g;
  g.seed = 5;
  stream::FlowGenerator gen(g);
  auto good = [&] {
    auto f = gen.next_normal();
    f.stime = wall_seconds();
    return flow::to_json(f);
  };
  auto replace = [](std::string json, const std::string& from, const std::string& to) {
    auto at = json.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) json.replace(at, from.size(), to);
    return json;
  };
  const std::vector<std::function<std::string()>> poison{
      [&] { return replace(good(), "\"stime\":", "\"stime\":1e300,\"x\":"); },
      [&] { return replace(good(), "\"spkts\":", "\"spkts\":1e39,\"x\":"); },
      [&] { return replace(good(), "\"stime\":", "\"stime\":12,\"x\":"); },
      [&] { return replace(good(), "\"proto\":\"", "\"proto\":\"\\u0000"); },
      [&] { return good().substr(0, 40); },  // cut off mid-object
  };
  for (int i = 0; i < 1000; ++i) {
    const bool bad = i % 100 == 50;
    const std::string value = bad ? poison[static_cast<size_t>(i / 100) % poison.size()]() : good();
    ASSERT_TRUE((*producer)->produce(topic_, std::to_string(i), value).ok());
  }
  ASSERT_TRUE((*producer)->flush(30s).ok());
  EXPECT_EQ(wait_stored(990), 990) << w->log_tail();
  auto dlq = read_topic(brokers_, "dlq_" + name_, 10, 60s);
  ASSERT_EQ(dlq.size(), 10u) << w->log_tail();
  std::set<std::string> reasons;
  for (const auto& m : dlq) {
    for (const auto& [k, v] : m.headers) {
      if (k == "flowsentry-reason") reasons.insert(v);
    }
  }
  EXPECT_GE(reasons.size(), 3u);  // out_of_range, bad_category, bad_json, ...
  // Not stalled: the next flows are stored too.
  for (int i = 0; i < 100; ++i) ASSERT_TRUE((*producer)->produce(topic_, "k", good()).ok());
  ASSERT_TRUE((*producer)->flush(30s).ok());
  EXPECT_EQ(wait_stored(1090), 1090) << w->log_tail();
  std::this_thread::sleep_for(1s);
  expect_exactly(1090);
}

// A broker frozen for 60 s while the worker publishes anomalies: every stored anomaly still
// reaches the anomalies topic (the batch is committed only after they are acknowledged).
// Before, anomaly messages older than the producer's 30 s timeout were dropped for good.
TEST_F(RunTest, AdversarialABrokerOutageLosesNoAnomalyMessage) {
  auto w = worker("worker");
  stream::ProducerConfig pc;
  pc.brokers = brokers_;
  pc.delivery_timeout = std::chrono::minutes(5);  // the test's own producer rides it out
  auto producer = stream::KafkaProducer::create(pc);
  ASSERT_TRUE(producer.ok()) << producer.error().to_string();
  stream::GeneratorOptions g;
  g.seed = 8;
  g.scenario = stream::Scenario::kAttack;
  g.burst_every = 100;
  g.burst_len = 30;
  stream::FlowGenerator gen(g);
  constexpr int kFlows = 16000;
  std::thread outage;
  for (int i = 0; i < kFlows; ++i) {
    auto f = gen.next();
    f.stime = wall_seconds();
    ASSERT_TRUE((*producer)->produce(topic_, std::to_string(i), flow::to_json(f)).ok());
    if (i % 200 == 199) {
      (*producer)->poll();
      std::this_thread::sleep_for(1s);  // 200 flows/s for 80 s
    }
    if (i == 2000) {
      outage = std::thread([&] {
        auto [code, out] = shell("FLOWSENTRY_KAFKA_DIR=" + (state_ / "kafka").string() + " " +
                                 kSource + "/scripts/kafka pause 60 2>&1");
        EXPECT_EQ(code, 0) << out;
      });
    }
  }
  outage.join();
  ASSERT_TRUE((*producer)->flush(120s).ok());
  EXPECT_EQ(wait_stored(kFlows, 180s), kFlows) << w->log_tail();
  // Stored anomalies, by record key, against the distinct keys on the anomalies topic.
  PGconn* c = PQconnectdb(db_url_.c_str());
  auto* r = PQexec(c, "SELECT count(*) FROM anomaly_scores WHERE label = 1");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK);
  const auto anomalies = static_cast<size_t>(std::stoll(PQgetvalue(r, 0, 0)));
  PQclear(r);
  PQfinish(c);
  ASSERT_GT(anomalies, 100u);
  auto published = read_topic(brokers_, "anomalies_" + name_, anomalies, 120s, true);
  std::set<std::string> keys;
  for (const auto& m : published) keys.insert(m.key);
  EXPECT_EQ(keys.size(), anomalies) << w->log_tail();
}

TEST_F(RunTest, TwoWorkersShareSixPartitionsAndSurviveOneBeingKilled) {
  auto a = worker("worker-a");
  auto b = worker("worker-b");
  std::thread producer([&] {
    produce({"--data", "generator:normal", "--count", "100000", "--eps", "10000"});
  });
  wait_stored(30000);
  a->kill(SIGKILL);
  producer.join();
  EXPECT_EQ(wait_stored(100000, 180s), 100000) << b->log_tail();
  std::this_thread::sleep_for(1s);
  expect_exactly(100000);
  EXPECT_NE(b->log().find("rebalance"), std::string::npos);
}

TEST_F(RunTest, AnInjectedBurstRaisesExactlyOneAlert) {
  // A webhook receiver on loopback counts the alerts it is sent.
  httplib::Server receiver;
  std::atomic<int> bursts{0};
  std::mutex mu;
  std::vector<nlohmann::json> received;
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    std::lock_guard lock(mu);
    received.push_back(j);
    if (!j.is_discarded() && j.value("type", "") == "burst") ++bursts;
    res.set_content("ok", "text/plain");
  });
  int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  auto hook = "alert.webhook_url=http://127.0.0.1:" + std::to_string(port) + "/hook";
  // SIEM outputs taking every verdict: the worker forwards its normal ones, the alerter the
  // anomalies it reads from the anomalies topic (and its alerts).
  const auto worker_siem = (state_ / (name_ + "-worker-siem.jsonl")).string();
  const auto alerter_siem = (state_ / (name_ + "-alerter-siem.jsonl")).string();
  auto w =
      worker("worker", "worker", {"--set", "siem.outputs=file " + worker_siem + " filter=all"});
  auto alerter =
      worker("alerter", "alerter",
             {"--set", hook, "--set", "siem.outputs=file " + alerter_siem + " filter=all"});
  ASSERT_EQ(produce({"--data", "generator:normal", "--count", "20000", "--eps", "5000",
                     "--inject-burst", "200@2"}),
            0);
  wait_stored(20000);
  auto end = std::chrono::steady_clock::now() + 30s;
  while (bursts == 0 && std::chrono::steady_clock::now() < end) std::this_thread::sleep_for(200ms);
  std::this_thread::sleep_for(3s);  // a second alert for the same burst would come by now
  EXPECT_EQ(bursts.load(), 1) << alerter->log_tail();
  receiver.stop();
  serving.join();
  // ECS lines: normal verdicts (event.kind "event"), anomalies (event.kind "alert") and alerts
  // (flowsentry.alert).
  auto kinds = [](const std::string& path) {
    std::map<std::string, int64_t> n;
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      auto j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        ++n["bad"];
      } else if (j.contains("flowsentry") && j["flowsentry"].contains("alert")) {
        ++n["alert"];
      } else {
        ++n[j["event"].value("kind", "?") == "alert" ? "anomaly" : "normal"];
      }
    }
    return n;
  };
  PGconn* c = PQconnectdb(db_url_.c_str());
  auto* r = PQexec(c, "SELECT count(*) FROM anomaly_scores WHERE label = 1");
  const int64_t anomalies =
      PQresultStatus(r) == PGRES_TUPLES_OK ? std::stoll(PQgetvalue(r, 0, 0)) : -1;
  PQclear(r);
  PQfinish(c);
  ASSERT_GT(anomalies, 0);
  // Each stored anomaly once, from the alerter; its output writes as it goes.
  auto from_alerter = kinds(alerter_siem);
  for (auto until = std::chrono::steady_clock::now() + 20s;
       from_alerter["anomaly"] < anomalies && std::chrono::steady_clock::now() < until;
       from_alerter = kinds(alerter_siem)) {
    std::this_thread::sleep_for(250ms);
  }
  EXPECT_EQ(from_alerter["anomaly"], anomalies);
  EXPECT_GE(from_alerter["alert"], 1);  // the burst
  EXPECT_EQ(from_alerter["normal"] + from_alerter["bad"], 0);
  auto from_worker = kinds(worker_siem);
  EXPECT_GT(from_worker["normal"], 0);
  // (It may send alerts of its own: drift and source-keyed behaviour run on workers.)
  EXPECT_EQ(from_worker["anomaly"] + from_worker["bad"], 0)
      << "a worker leaves its anomalies to the alerter";
}

// PostgreSQL down for 60 s: the alerter still delivers a burst alert within seconds (alerts
// and delivery results reach the store later, from a queue). A fault test, not a regression
// test: a store that fails fast passed before too; one that hangs is in
// PipelineAdversarialTest.AlertsAreDeliveredWhileTheStoreHangs.
TEST_F(RunTest, ADatabaseOutageDelaysNoAlert) {
  httplib::Server receiver;
  std::atomic<int> bursts{0};
  receiver.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    auto j = nlohmann::json::parse(req.body, nullptr, false);
    if (!j.is_discarded() && j.value("type", "") == "burst") ++bursts;
    res.set_content("ok", "text/plain");
  });
  int port = receiver.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { receiver.listen_after_bind(); });
  auto hook = "alert.webhook_url=http://127.0.0.1:" + std::to_string(port) + "/hook";
  auto alerter = worker("alerter", "alerter", {"--set", hook});
  std::this_thread::sleep_for(5s);  // joined its group
  std::thread outage([&] {
    auto [code, out] = shell("FLOWSENTRY_PG_DIR=" + (state_ / "pg").string() + " " + kSource +
                             "/scripts/postgres restart 60 2>&1");
    EXPECT_EQ(code, 0) << out;
  });
  std::this_thread::sleep_for(3s);  // the server is down now
  stream::ProducerConfig pc;
  pc.brokers = brokers_;
  auto producer = stream::KafkaProducer::create(pc);
  ASSERT_TRUE(producer.ok());
  stream::FlowGenerator gen(stream::GeneratorOptions{});
  for (int i = 0; i < 20; ++i) {
    model::ScoredFlow f{gen.next_attack(), {}};
    f.flow.stime = wall_seconds();
    f.flow.key = {"flows", 0, i};
    f.verdict.score = 0.99;
    f.verdict.label = 1;
    ASSERT_TRUE((*producer)
                    ->produce("anomalies_" + name_, std::to_string(i), pipeline::encode_anomaly(f))
                    .ok());
  }
  ASSERT_TRUE((*producer)->flush(10s).ok());
  const auto sent = std::chrono::steady_clock::now();
  while (bursts == 0 && std::chrono::steady_clock::now() - sent < 30s) {
    std::this_thread::sleep_for(100ms);
  }
  const auto waited = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(bursts.load(), 1) << alerter->log_tail();
  // The alerter polls every 0.2 s and retries a delivery after alert.backoff_s (1 s).
  EXPECT_LT(waited, 4s) << alerter->log_tail();
  outage.join();
  receiver.stop();
  serving.join();
}

TEST_F(RunTest, SigtermDuringLoadExitsCleanlyAndLosesNothing) {
  std::thread producer([&] {
    produce({"--data", "generator:normal", "--count", "60000", "--eps", "10000"});
  });
  auto w = worker("worker-1");
  wait_stored(15000);
  auto t0 = std::chrono::steady_clock::now();
  w->kill(SIGTERM);
  int code = w->wait(15s);
  EXPECT_EQ(code, 0) << w->log_tail();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 10s);
  producer.join();
  auto again = worker("worker-2");
  EXPECT_EQ(wait_stored(60000), 60000) << again->log_tail();
  std::this_thread::sleep_for(1s);
  expect_exactly(60000);
}

}  // namespace
}  // namespace flowsentry::testing
