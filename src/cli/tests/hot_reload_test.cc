// Hot reload under load: `flowsentry run` (worker, real Kafka broker, SQLite) answers /predict at
// ~2,000 requests/s and consumes ~5,000 flows/s while a model is promoted and rolled back twice
// through `flowsentry models`. No request fails, every produced flow is stored exactly once, and
// verdicts carry the right model_version on each side of each switch (the worker stores the time
// of each swap as a model_changed event).
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "cli/tests/process.h"
#include "common/clock.h"
#include "common/testing/kafka.h"
#include "flow/json_codec.h"
#include "model/artifact.h"
#include "pipeline/testing/tiny_model.h"
#include "store/store.h"
#include "stream/generator.h"

namespace flowsentry::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kBinary = FLOWSENTRY_BINARY;
const std::string kSource = FLOWSENTRY_SOURCE_DIR;

constexpr int kFlows = 50000;  // at 5,000 flows/s: 10 s
constexpr double kFlowsPerSecond = 5000;
constexpr int kWarmUp = 1000;       // flows sent (as fast as possible) before the measured run
constexpr int kPredictThreads = 4;  // 500 requests/s each
constexpr double kPredictSeconds = 10;

struct Answer {
  double sent = 0, received = 0;
  int status = 0;
  std::string version;
};

struct Switch {
  double time = 0;
  std::string from, to;
};

class HotReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("fs_hot_reload_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    ::setenv("FLOWSENTRY_KAFKA_PARTITIONS", "2", 1);
    brokers_ = start_test_kafka("reload");
    ASSERT_FALSE(brokers_.empty()) << "scripts/kafka start failed";
    brokers_ = brokers_.substr(brokers_.find_last_of('\n') + 1);
  }
  void TearDown() override {
    stop_test_kafka();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::string log(const std::string& what) const { return (dir_ / (what + ".log")).string(); }

  int models(std::vector<std::string> args) {
    std::vector<std::string> argv{kBinary, "models", "--registry", (dir_ / "registry").string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, log("models"));
    return p.wait(60s);
  }

  // Trains two small models on generated traffic and registers them; returns their versions.
  std::pair<std::string, std::string> register_two() {
    std::vector<std::string> versions;
    for (uint64_t seed : {7, 8}) {
      auto a = train_tiny_artifact(seed, 1000);
      EXPECT_NE(a, nullptr);
      if (!a) return {};
      const auto out = (dir_ / ("model" + std::to_string(seed))).string();
      EXPECT_TRUE(model::save_artifact(*a, out).ok());
      EXPECT_EQ(models({"register", out}), 0);
      versions.push_back(a->meta.model_version);
    }
    return {versions[0], versions[1]};
  }

  // `count` generated flows to the topic at `eps` (0: as fast as possible); the exit code.
  int produce(int count, double eps) {
    Process p({kBinary, "produce", "--brokers", brokers_, "--topic", "flows_reload", "--quiet",
               "--data", "generator:normal", "--seed", std::to_string(count), "--eps",
               std::to_string(static_cast<int>(eps)), "--count", std::to_string(count)},
              log("produce"));
    return p.wait(120s);
  }

  int wait_for_port(Process& worker) {
    for (int i = 0; i < 600 && worker.running(); ++i) {
      auto text = worker.log();
      auto at = text.find("api on port ");
      if (at != std::string::npos) return std::stoi(text.substr(at + 12));
      std::this_thread::sleep_for(100ms);
    }
    return -1;
  }

  // One client thread: a request every 1/rate s (keep-alive), each answer with its times.
  static void predict_load(int port, double rate, double until, std::vector<Answer>& out) {
    httplib::Client client("127.0.0.1", port);
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);  // headers and body leave at once (no 40 ms delayed ACK)
    client.set_read_timeout(10, 0);
    stream::GeneratorOptions g;
    g.seed = 99;
    stream::FlowGenerator gen(g);
    std::vector<std::string> bodies;
    for (int i = 0; i < 64; ++i) bodies.push_back(flow::to_json(gen.next()));
    auto next = std::chrono::steady_clock::now();
    for (size_t i = 0; wall_seconds() < until; ++i) {
      next += std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          std::chrono::duration<double>(1 / rate));
      std::this_thread::sleep_until(next);
      Answer a;
      a.sent = wall_seconds();
      auto res = client.Post("/predict?explain=0", bodies[i % bodies.size()], "application/json");
      a.received = wall_seconds();
      if (res) {
        a.status = res->status;
        auto j = nlohmann::json::parse(res->body, nullptr, false);
        if (j.is_object()) a.version = j.value("model_version", "");
      }
      out.push_back(std::move(a));
    }
  }

  std::vector<Switch> switches() {
    auto s = store::open_store((dir_ / "flows.db").string());
    EXPECT_TRUE(s.ok());
    if (!s.ok()) return {};
    auto events = (*s)->list_drift(0, 4e9, 100);
    EXPECT_TRUE(events.ok());
    std::vector<Switch> out;
    for (const auto& e : *events) {
      if (e.kind != "model_changed") continue;
      auto d = nlohmann::json::parse(e.details_json);
      out.push_back({e.time, d.value("from", ""), d.value("to", "")});
    }
    std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.time < b.time; });
    return out;
  }

  // (partition -> model_version of each stored flow in offset order), and rows / distinct keys.
  std::map<int64_t, std::vector<std::string>> stored_versions(int64_t& rows, int64_t& keys) {
    std::map<int64_t, std::vector<std::string>> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2((dir_ / "flows.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr),
              SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db,
                       "SELECT source_partition, model_version FROM anomaly_scores WHERE source "
                       "<> 'predict' ORDER BY source_partition, source_offset",
                       -1, &st, nullptr);
    rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
      out[sqlite3_column_int64(st, 0)].emplace_back(
          reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
      ++rows;
    }
    sqlite3_finalize(st);
    sqlite3_prepare_v2(db,
                       "SELECT count(*) FROM (SELECT DISTINCT source, source_partition, "
                       "source_offset FROM anomaly_scores WHERE source <> 'predict')",
                       -1, &st, nullptr);
    keys = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  int64_t stored_count() {
    auto s = store::open_store((dir_ / "flows.db").string());
    if (!s.ok()) return -1;
    store::Query q;
    q.from = 0;
    q.to = 4e9;
    auto n = (*s)->count(q);
    return n.ok() ? *n : -1;
  }

  fs::path dir_;
  std::string brokers_;
};

TEST_F(HotReloadTest, PromotionsAndRollbacksUnderLoadLoseNothing) {
  auto [a, b] = register_two();
  ASSERT_FALSE(a.empty());
  ASSERT_NE(a, b);
  ASSERT_EQ(models({"promote", a}), 0);

  Process worker({kBinary,      "run",
                  "--role",     "worker",
                  "--brokers",  brokers_,
                  "--topic",    "flows_reload",
                  "--group",    "g_reload",
                  "--store",    (dir_ / "flows.db").string(),
                  "--registry", (dir_ / "registry").string(),
                  "--port",     "0",
                  "--set",      "model.reload_interval_s=0.2",
                  "--set",      "pipeline.batch_ms=20",
                  "--set",      "pipeline.explain_per_second=0",
                  "--set",      "kafka.anomalies_topic=anomalies_reload",
                  "--set",      "kafka.dlq_topic=dlq_reload"},
                 log("worker"));
  const int port = wait_for_port(worker);
  ASSERT_GT(port, 0) << worker.log_tail();

  // Warm up: the topic exists and the worker has joined its group and stores before the clock
  // starts.
  ASSERT_EQ(produce(kWarmUp, 0), 0);
  for (int i = 0; i < 600 && stored_count() < kWarmUp; ++i) std::this_thread::sleep_for(100ms);
  ASSERT_EQ(stored_count(), kWarmUp) << worker.log_tail();

  int produced = -1;
  double produced_in = 0;
  std::thread producer([&] {
    const double start = wall_seconds();
    produced = produce(kFlows, kFlowsPerSecond);
    produced_in = wall_seconds() - start;
  });
  const double t0 = wall_seconds();
  std::vector<std::vector<Answer>> answers(kPredictThreads);
  std::vector<std::thread> clients;
  for (auto& out : answers) {
    clients.emplace_back(predict_load, port, 2000.0 / kPredictThreads, t0 + kPredictSeconds,
                         std::ref(out));
  }
  // Promoted and rolled back twice, a switch every ~2 s while both loads run.
  const std::vector<std::vector<std::string>> steps{
      {"promote", b}, {"rollback"}, {"promote", b}, {"rollback"}};
  for (size_t i = 0; i < steps.size(); ++i) {
    std::this_thread::sleep_until(std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(t0 + 1.5 + 2 * static_cast<double>(i)))));
    ASSERT_EQ(models(steps[i]), 0);
  }
  for (auto& c : clients) c.join();
  producer.join();
  ASSERT_EQ(produced, 0) << "flowsentry produce failed; see " << log("produce");
  for (int i = 0; i < 600 && stored_count() < kWarmUp + kFlows; ++i) {
    std::this_thread::sleep_for(100ms);
  }
  worker.kill(SIGTERM);
  ASSERT_EQ(worker.wait(60s), 0) << worker.log_tail();

  // The four swaps, in order, each stored with the time it happened.
  auto sw = switches();
  ASSERT_EQ(sw.size(), 4u) << worker.log_tail();
  const std::vector<std::string> order{a, b, a, b, a};
  for (size_t i = 0; i < sw.size(); ++i) {
    EXPECT_EQ(sw[i].from, order[i]);
    EXPECT_EQ(sw[i].to, order[i + 1]);
  }
  // The model in use at time t, and whether t is too close to a swap to tell.
  auto active_at = [&](double t) {
    size_t i = 0;
    while (i < sw.size() && sw[i].time <= t) ++i;
    return order[i];
  };

  // /predict: nothing failed; an answer begun after a swap carries the new model, one finished
  // before it the old (a request in flight across a swap may carry either).
  size_t total = 0, failed = 0, wrong = 0;
  double first = 1e300, last = 0;
  for (const auto& thread : answers) {
    for (const auto& r : thread) {
      ++total;
      first = std::min(first, r.sent);
      last = std::max(last, r.received);
      if (r.status != 200) {
        ++failed;
        continue;
      }
      const auto& before = active_at(r.sent);
      const auto& after = active_at(r.received);
      if (r.version != before && r.version != after) ++wrong;
      if (before == after && r.version != before) ++wrong;
    }
  }
  EXPECT_EQ(failed, 0u);
  EXPECT_EQ(wrong, 0u);
  std::cout << fmt::format("/predict: {} requests in {:.1f} s ({:.0f}/s), {} failed\n", total,
                           last - first, static_cast<double>(total) / (last - first), failed);

  // Kafka: every flow stored once; within each partition the versions follow the swaps in order
  // (a batch is scored by one model: runs never interleave back).
  int64_t rows = 0, keys = 0;
  auto by_partition = stored_versions(rows, keys);
  EXPECT_EQ(rows, kWarmUp + kFlows);
  EXPECT_EQ(keys, kWarmUp + kFlows);
  std::set<std::string> seen;
  for (const auto& [partition, versions] : by_partition) {
    size_t step = 0;
    for (size_t i = 0; i < versions.size(); ++i) {
      seen.insert(versions[i]);
      if (versions[i] == order[step]) continue;
      while (step < order.size() && order[step] != versions[i]) ++step;
      ASSERT_LT(step, order.size()) << "partition " << partition << " offset #" << i << ": "
                                    << versions[i] << " out of order";
    }
  }
  EXPECT_EQ(seen, (std::set<std::string>{a, b}));
  std::map<std::string, int64_t> per_version;
  for (const auto& [partition, versions] : by_partition) {
    for (const auto& v : versions) ++per_version[v];
  }
  std::cout << fmt::format(
      "kafka: {} flows stored, each once ({} warm-up, {} produced in {:.1f} s: {:.0f}/s); {} "
      "scored by {}, {} by {}\n",
      rows, kWarmUp, kFlows, produced_in, static_cast<double>(kFlows) / produced_in, per_version[a],
      a, per_version[b], b);
}

}  // namespace
}  // namespace flowsentry::testing
