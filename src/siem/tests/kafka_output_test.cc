// The Kafka output against a real broker (KRaft, started by scripts/kafka in its own state
// directory): ECS documents of anomalies and OCSF findings of alerts arrive on their topics.
// Labelled fixture.
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>

#include "common/testing/kafka.h"

#include "siem/outputs.h"
#include "siem/tests/samples.h"
#include "stream/kafka_consumer.h"
#include "stream/kafka_producer.h"

namespace flowsentry::siem {
namespace {

using namespace std::chrono_literals;

class KafkaOutputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { brokers_ = flowsentry::testing::start_test_kafka("siem"); }
  static void TearDownTestSuite() { flowsentry::testing::stop_test_kafka(); }
  void SetUp() override {
    ASSERT_FALSE(brokers_.empty()) << "scripts/kafka start failed (needs java and maven)";
  }

  std::vector<nlohmann::json> read(const std::string& topic, size_t n) {
    stream::ConsumerConfig c;
    c.brokers = brokers_;
    c.group = "siem-test-" + topic;
    c.topics = {topic};
    auto k = stream::KafkaConsumer::create(c, {});
    EXPECT_TRUE(k.ok()) << k.error().to_string();
    std::vector<stream::KafkaMessage> got;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (k.ok() && got.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto r = (*k)->poll_batch(got, n - got.size(), 200ms);
      EXPECT_TRUE(r.ok());
    }
    if (k.ok()) (void)(*k)->close();
    std::vector<nlohmann::json> docs;
    for (const auto& m : got) docs.push_back(nlohmann::json::parse(m.value));
    return docs;
  }

  static inline std::string brokers_;
};

TEST_F(KafkaOutputTest, EcsAnomaliesAndOcsfAlertsArriveOnTheirTopics) {
  ASSERT_TRUE(stream::create_topic(brokers_, "siem.ecs", 1).ok());
  ASSERT_TRUE(stream::create_topic(brokers_, "siem.ocsf", 1).ok());
  OutputDefaults d;
  d.kafka_brokers = brokers_;
  auto outputs = Outputs::create("kafka siem.ecs filter=anomalies; kafka siem.ocsf format=ocsf", d);
  ASSERT_TRUE(outputs.ok()) << outputs.error().to_string();
  (*outputs)->observe(testing::sample_verdicts());  // one anomaly, one normal
  (*outputs)->alert(testing::behaviour_alert());
  ASSERT_TRUE((*outputs)->flush(30s));
  outputs->reset();  // flushes the producers

  const auto ecs = read("siem.ecs", 1);
  ASSERT_EQ(ecs.size(), 1u);
  EXPECT_EQ(ecs[0]["event"]["kind"], "alert");
  EXPECT_EQ(ecs[0]["destination"]["port"], 80);
  const auto ocsf = read("siem.ocsf", 1);
  ASSERT_EQ(ocsf.size(), 1u);
  EXPECT_EQ(ocsf[0]["class_uid"], 2004);
}

}  // namespace
}  // namespace flowsentry::siem
