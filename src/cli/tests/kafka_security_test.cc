// `produce` and `run --role worker` against a broker that only talks SASL_SSL (scripts/kafka
// start --sasl: a throwaway CA, SCRAM-SHA-512 user): every flow is stored; a wrong password or
// an untrusted broker certificate ends the process with a clear error instead of a retry loop.
#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "cli/tests/process.h"
#include "common/testing/kafka.h"
#include "store/store.h"

namespace flowsentry::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const std::string kBinary = FLOWSENTRY_BINARY;
const std::string kSource = FLOWSENTRY_SOURCE_DIR;

class KafkaSecurityTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    state_ = fs::temp_directory_path() / ("fs_kafka_sec_" + std::to_string(getpid()));
    fs::create_directories(state_);
    settings_ = start_test_kafka_sasl("sec");
    ASSERT_EQ(settings_.size(), 6u) << "scripts/kafka start --sasl failed";
  }
  static void TearDownTestSuite() {
    stop_test_kafka();
    if (!::testing::Test::HasFailure()) fs::remove_all(state_);
  }

  void SetUp() override {
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    topic_ = "flows_" + name_;
  }

  // The broker's client settings as --set flags, with `replace` ("kafka.key=value") instead of
  // the broker's value of that key; "kafka.key=" alone drops the key.
  std::vector<std::string> sets(const std::vector<std::string>& replace = {}) {
    std::vector<std::string> out;
    for (const auto& s : settings_) {
      auto key = s.substr(0, s.find('='));
      bool replaced = false;
      for (const auto& r : replace) replaced = replaced || r.starts_with(key + "=");
      if (!replaced) out.insert(out.end(), {"--set", s});
    }
    for (const auto& r : replace) {
      if (!r.ends_with("=")) out.insert(out.end(), {"--set", r});
    }
    return out;
  }

  std::unique_ptr<Process> produce(const std::vector<std::string>& set, int count) {
    std::vector<std::string> argv{kBinary,  "produce",          "--topic", topic_,
                                  "--data", "generator:normal", "--count", std::to_string(count),
                                  "--quiet"};
    argv.insert(argv.end(), set.begin(), set.end());
    return std::make_unique<Process>(argv, log_path("produce"));
  }

  std::unique_ptr<Process> worker(const std::vector<std::string>& set) {
    std::vector<std::string> argv{kBinary,   "run",
                                  "--role",  "worker",
                                  "--topic", topic_,
                                  "--group", "g_" + name_,
                                  "--store", db_path(),
                                  "--model", kSource + "/models/default",
                                  "--port",  "0",
                                  "--set",   "kafka.dlq_topic=dlq_" + name_,
                                  "--set",   "kafka.anomalies_topic=anomalies_" + name_};
    argv.insert(argv.end(), set.begin(), set.end());
    return std::make_unique<Process>(argv, log_path("worker"));
  }

  std::string log_path(const std::string& what) {
    return (state_ / (name_ + "-" + what + ".log")).string();
  }
  std::string db_path() { return (state_ / (name_ + ".db")).string(); }

  int64_t stored() {
    auto s = store::open_store(db_path());
    if (!s.ok()) return -1;
    store::Query q;
    q.from = 0;
    q.to = 4e9;
    auto n = (*s)->count(q);
    return n.ok() ? *n : -1;
  }

  // Waits for `p` to exit on its own; its exit code, -1 if it was still running.
  static int exit_within(Process& p, std::chrono::seconds limit) { return p.wait(limit); }

  static inline fs::path state_;
  static inline std::vector<std::string> settings_;
  std::string name_, topic_;
};

TEST_F(KafkaSecurityTest, ProduceAndWorkerOverSaslSslStoreEveryFlow) {
  constexpr int kFlows = 2000;
  auto p = produce(sets(), kFlows);
  ASSERT_EQ(p->wait(60s), 0) << p->log_tail();
  ASSERT_EQ(stored(), 0);  // the schema exists before the worker starts
  auto w = worker(sets());
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (stored() < kFlows && w->running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
  }
  EXPECT_EQ(stored(), kFlows) << w->log_tail();
  w->kill(SIGTERM);
  EXPECT_EQ(w->wait(30s), 0) << w->log_tail();
  EXPECT_EQ(w->log().find(settings_[4].substr(settings_[4].find('=') + 1)), std::string::npos)
      << "the password is in the worker's log";
}

TEST_F(KafkaSecurityTest, PlainAndScramSha256AuthenticateToo) {
  for (const char* mechanism : {"PLAIN", "SCRAM-SHA-256"}) {
    auto p = produce(sets({std::string("kafka.sasl_mechanism=") + mechanism}), 10);
    EXPECT_EQ(p->wait(60s), 0) << mechanism << "\n" << p->log_tail();
  }
}

TEST_F(KafkaSecurityTest, WrongPasswordIsAClearErrorNotAHang) {
  auto w = worker(sets({"kafka.sasl_password=not-the-password"}));
  auto p = produce(sets({"kafka.sasl_password=not-the-password"}), 10);
  EXPECT_EQ(exit_within(*w, 30s), 1) << w->log_tail();
  EXPECT_NE(w->log().find("Kafka authentication failed"), std::string::npos) << w->log_tail();
  EXPECT_EQ(exit_within(*p, 30s), 1) << p->log_tail();
  EXPECT_NE(p->log().find("Kafka authentication failed"), std::string::npos) << p->log_tail();
  EXPECT_EQ(w->log().find("not-the-password"), std::string::npos);
}

TEST_F(KafkaSecurityTest, UntrustedBrokerCertificateIsAClearError) {
  // Without the test CA the broker's certificate cannot be verified.
  auto w = worker(sets({"kafka.ssl_ca_location="}));
  EXPECT_EQ(exit_within(*w, 30s), 1) << w->log_tail();
  EXPECT_NE(w->log().find("Kafka TLS handshake failed"), std::string::npos) << w->log_tail();
}

}  // namespace
}  // namespace flowsentry::testing
