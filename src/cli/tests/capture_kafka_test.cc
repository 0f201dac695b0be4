// pcap -> Kafka -> worker -> PostgreSQL: `capture --pcap F --brokers B --topic T` sends the
// metered flows, a `run` worker stores them, and every flow the meter produced (as
// `capture --out` writes it) is stored exactly once with its addresses and ports.
#include <libpq-fe.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <tuple>

#include <gtest/gtest.h>

#include "cli/tests/process.h"
#include "flow/json_codec.h"

namespace flowsentry::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kBinary = FLOWSENTRY_BINARY;
const std::string kSource = FLOWSENTRY_SOURCE_DIR;
const std::string kPcap = kSource + "/src/meter/tests/data/loopback.pcap";

using Identity = std::tuple<std::string, int64_t, std::string, int64_t, int64_t>;  // + stime µs

int64_t micros(double t) {
  return std::llround(t * 1e6);
}

// The flows `capture` writes for the pcap (JSON lines), as identities.
std::multiset<Identity> metered(const fs::path& dir) {
  const auto out = (dir / "flows.jsonl").string();
  Process p({kBinary, "capture", "--pcap", kPcap, "--format", "json", "--out", out},
            (dir / "capture-file.log").string());
  EXPECT_EQ(p.wait(60s), 0) << p.log_tail();
  std::multiset<Identity> ids;
  std::ifstream in(out);
  flow::JsonDecoder dec;
  for (std::string line; std::getline(in, line);) {
    flow::FlowRecord r;
    auto problem = dec.decode_one(line, r);
    EXPECT_FALSE(problem) << line;
    if (problem || !r.srcip) continue;
    ids.emplace(*r.srcip, r.sport.value_or(-1), r.dstip.value_or(""), r.dsport.value_or(-1),
                micros(*r.stime));
  }
  return ids;
}

// Identities of the stored rows, and how many distinct record keys they have.
std::pair<std::multiset<Identity>, int64_t> stored(const std::string& url) {
  std::multiset<Identity> ids;
  int64_t keys = -1;
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c,
                       "SELECT host(srcip), coalesce(sport, -1), host(dstip), coalesce(dsport, "
                       "-1), stime FROM anomaly_scores");
  if (PQresultStatus(r) == PGRES_TUPLES_OK) {
    for (int i = 0; i < PQntuples(r); ++i) {
      ids.emplace(PQgetvalue(r, i, 0), std::stoll(PQgetvalue(r, i, 1)), PQgetvalue(r, i, 2),
                  std::stoll(PQgetvalue(r, i, 3)), micros(std::stod(PQgetvalue(r, i, 4))));
    }
  }
  PQclear(r);
  r = PQexec(c,
             "SELECT count(DISTINCT (source, source_partition, source_offset)) FROM "
             "anomaly_scores");
  if (PQresultStatus(r) == PGRES_TUPLES_OK) keys = std::stoll(PQgetvalue(r, 0, 0));
  PQclear(r);
  PQfinish(c);
  return {ids, keys};
}

TEST(CaptureKafkaTest, EveryMeteredFlowIsStoredOnceWithItsAddressesAndPorts) {
  const fs::path dir = fs::temp_directory_path() / ("fs_capture_it_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string kafka_env = "FLOWSENTRY_KAFKA_DIR=" + (dir / "kafka").string() +
                                " FLOWSENTRY_KAFKA_OWNER_PID=" + std::to_string(getpid()) + " ";
  const std::string pg_env = "FLOWSENTRY_PG_DIR=" + (dir / "pg").string() + " ";
  auto [kc, brokers] =
      shell(kafka_env + kSource + "/scripts/kafka start 2>" + (dir / "kafka-start.log").string());
  ASSERT_EQ(kc, 0) << "scripts/kafka start failed; see " << (dir / "kafka-start.log");
  brokers = brokers.substr(brokers.find_last_of('\n') + 1);
  auto [pc, url] =
      shell(pg_env + kSource + "/scripts/postgres start 2>" + (dir / "pg-start.log").string());
  ASSERT_EQ(pc, 0) << "scripts/postgres start failed; see " << (dir / "pg-start.log");
  url = url.substr(url.find_last_of('\n') + 1);

  const auto want = metered(dir);
  ASSERT_GT(want.size(), 10u);
  Process worker({kBinary,     "run",
                  "--role",    "worker",
                  "--brokers", brokers,
                  "--topic",   "pcap_flows",
                  "--group",   "pcap_workers",
                  "--store",   url,
                  "--model",   kSource + "/models/default",
                  "--port",    "0",
                  "--set",     "pipeline.batch_ms=20",
                  "--set",     "kafka.anomalies_topic=pcap_anomalies",
                  "--set",     "kafka.dlq_topic=pcap_dlq"},
                 (dir / "worker.log").string());
  Process capture({kBinary, "capture", "--pcap", kPcap, "--brokers", brokers, "--topic",
                   "pcap_flows", "--format", "json"},
                  (dir / "capture-kafka.log").string());
  ASSERT_EQ(capture.wait(60s), 0) << capture.log_tail();

  std::pair<std::multiset<Identity>, int64_t> got;
  const auto end = std::chrono::steady_clock::now() + 45s;
  while (std::chrono::steady_clock::now() < end) {
    got = stored(url);
    if (got.first.size() >= want.size()) break;
    std::this_thread::sleep_for(250ms);
  }
  std::this_thread::sleep_for(500ms);  // anything late would be a duplicate
  got = stored(url);
  EXPECT_EQ(got.first, want) << worker.log_tail();
  EXPECT_EQ(got.second, static_cast<int64_t>(want.size()));

  worker.kill(SIGTERM);
  worker.wait(20s);
  shell(kafka_env + kSource + "/scripts/kafka stop >/dev/null 2>&1");
  shell(pg_env + kSource + "/scripts/postgres stop >/dev/null 2>&1");
  if (!::testing::Test::HasFailure()) fs::remove_all(dir);
}

}  // namespace
}  // namespace flowsentry::testing
