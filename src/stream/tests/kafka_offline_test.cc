// Kafka client behaviour that needs no broker: configuration errors, delivery failures when
// nothing listens, and the offset arithmetic.
#include <gtest/gtest.h>

#include "common/config.h"
#include "stream/kafka_common.h"
#include "stream/kafka_consumer.h"
#include "stream/kafka_producer.h"
#include "stream/kafka_source.h"

namespace flowsentry::stream {
namespace {

TEST(KafkaOfflineTest, ProducerWithoutBrokersIsAnError) {
  auto p = KafkaProducer::create(ProducerConfig{});
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
}

TEST(KafkaOfflineTest, BadPropertyIsNamedInTheError) {
  ProducerConfig c;
  c.brokers = "127.0.0.1:1";
  c.extra["no.such.property"] = "1";
  auto p = KafkaProducer::create(c);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("no.such.property"), std::string::npos) << p.error().message;
}

TEST(KafkaOfflineTest, UndeliverableMessagesAreCountedAndFlushSaysSo) {
  ProducerConfig c;
  c.brokers = "127.0.0.1:1";  // nothing listens on port 1
  c.delivery_timeout = std::chrono::milliseconds(500);
  c.idempotent = false;
  auto p = KafkaProducer::create(c);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  std::vector<DeliveryReport> reports;
  (*p)->on_delivery([&](const DeliveryReport& r) { reports.push_back(r); });
  ASSERT_TRUE((*p)->produce("flows", "k", "v", {}, -1, 77).ok());
  auto st = (*p)->flush(std::chrono::milliseconds(5000));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ((*p)->failed(), 1u);
  EXPECT_EQ((*p)->delivered(), 0u);
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_FALSE(reports[0].ok);
  EXPECT_EQ(reports[0].opaque, 77u);
  EXPECT_FALSE(reports[0].error.empty());
  // The failure is reported once; a later flush with nothing new is clean.
  EXPECT_TRUE((*p)->flush(std::chrono::milliseconds(100)).ok());
}

TEST(KafkaOfflineTest, ConsumerNeedsBrokersAndTopics) {
  EXPECT_FALSE(KafkaConsumer::create(ConsumerConfig{}).ok());
  ConsumerConfig c;
  c.brokers = "127.0.0.1:1";
  c.topics.clear();
  EXPECT_FALSE(KafkaConsumer::create(c).ok());
}

TEST(KafkaOfflineTest, NextOffsetsArePerPartitionHighestPlusOne) {
  std::vector<KafkaMessage> msgs(4);
  msgs[0] = {"flows", 0, 10};
  msgs[1] = {"flows", 1, 3};
  msgs[2] = {"flows", 0, 12};
  msgs[3] = {"flows", 0, 11};
  auto offsets = KafkaConsumer::next_offsets(msgs);
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0], (TopicPartition{"flows", 0, 13}));
  EXPECT_EQ(offsets[1], (TopicPartition{"flows", 1, 4}));
}

TEST(KafkaOfflineTest, OffsetsAfterRecordKeys) {
  std::vector<flow::RecordKey> keys{{"flows", 2, 5}, {"flows", 2, 9}, {"other", 0, 0}};
  auto offsets = offsets_after(keys);
  ASSERT_EQ(offsets.size(), 2u);
  EXPECT_EQ(offsets[0], (TopicPartition{"flows", 2, 10}));
  EXPECT_EQ(offsets[1], (TopicPartition{"other", 0, 1}));
}

TEST(KafkaOfflineTest, MergedOffsetsKeepTheHighestPerPartition) {
  std::vector<TopicPartition> pending{{"flows", 0, 10}, {"flows", 1, 4}};
  std::vector<TopicPartition> more{{"flows", 0, 7}, {"flows", 1, 9}, {"flows", 2, 1}};
  merge_offsets(pending, more);
  ASSERT_EQ(pending.size(), 3u);
  EXPECT_EQ(pending[0], (TopicPartition{"flows", 0, 10}));  // an older commit never moves back
  EXPECT_EQ(pending[1], (TopicPartition{"flows", 1, 9}));
  EXPECT_EQ(pending[2], (TopicPartition{"flows", 2, 1}));
}

TEST(KafkaSecurityTest, PlaintextByDefault) {
  Config c;
  auto p = client_properties(c);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(*p, (KafkaProperties{{"security.protocol", "plaintext"}}));
}

TEST(KafkaSecurityTest, SaslSslSettingsBecomeLibrdkafkaProperties) {
  Config c;
  ASSERT_TRUE(c.merge_toml_text("[kafka]\nsecurity_protocol = \"sasl_ssl\"\n"
                                "ssl_ca_location = \"/etc/ca.pem\"\n"
                                "ssl_endpoint_identification = \"none\"\n"
                                "sasl_mechanism = \"SCRAM-SHA-256\"\nsasl_username = \"u\"\n"
                                "sasl_password = \"pw\"\n[kafka.properties]\n"
                                "\"sasl.mechanisms\" = \"PLAIN\"\nsocket.keepalive.enable = true\n",
                                "t.toml")
                  .ok());
  auto p = client_properties(c);
  ASSERT_TRUE(p.ok()) << p.error().to_string();
  EXPECT_EQ(p->at("security.protocol"), "sasl_ssl");
  EXPECT_EQ(p->at("ssl.ca.location"), "/etc/ca.pem");
  EXPECT_EQ(p->at("ssl.endpoint.identification.algorithm"), "none");
  EXPECT_EQ(p->at("sasl.username"), "u");
  EXPECT_EQ(p->at("sasl.password"), "pw");
  EXPECT_EQ(p->at("sasl.mechanisms"), "PLAIN");  // the passthrough is applied last
  EXPECT_EQ(p->at("socket.keepalive.enable"), "true");
  EXPECT_EQ(p->count("ssl.key.location"), 0u);
  // librdkafka takes every one of them; a CA file that is not there is an error at once.
  ProducerConfig pc;
  pc.brokers = "127.0.0.1:1";
  pc.extra = *p;
  auto missing_ca = KafkaProducer::create(pc);
  ASSERT_FALSE(missing_ca.ok());
  EXPECT_NE(missing_ca.error().message.find("ssl.ca.location"), std::string::npos);
  pc.extra.erase("ssl.ca.location");
  auto producer = KafkaProducer::create(pc);
  EXPECT_TRUE(producer.ok()) << producer.error().to_string();
}

TEST(KafkaSecurityTest, SettingsThatDoNotFitTogetherAreNamed) {
  auto error_of = [](std::vector<std::pair<const char*, const char*>> set) {
    Config c;
    for (auto [k, v] : set) EXPECT_TRUE(c.set(k, v).ok()) << k;
    auto p = client_properties(c);
    return p.ok() ? std::string() : p.error().to_string();
  };
  EXPECT_NE(error_of({{"kafka.ssl_ca_location", "/ca.pem"}}).find("kafka.ssl_ca_location"),
            std::string::npos);
  EXPECT_NE(error_of({{"kafka.sasl_username", "u"}}).find("kafka.security_protocol"),
            std::string::npos);
  EXPECT_NE(error_of({{"kafka.security_protocol", "sasl_ssl"}, {"kafka.sasl_username", "u"}})
                .find("kafka.sasl_password"),
            std::string::npos);
  EXPECT_NE(error_of({{"kafka.security_protocol", "ssl"}, {"kafka.ssl_key_location", "/k.pem"}})
                .find("kafka.ssl_certificate_location"),
            std::string::npos);
  EXPECT_EQ(error_of({{"kafka.security_protocol", "ssl"},
                      {"kafka.ssl_key_location", "/k.pem"},
                      {"kafka.ssl_certificate_location", "/c.pem"}}),
            "");
}

TEST(KafkaSecurityTest, SecretValuesAreNotInErrors) {
  ProducerConfig c;
  c.brokers = "127.0.0.1:1";
  c.extra["sasl.password"] = "hunter2";
  c.extra["security.protocol"] = "no-such-protocol";
  c.extra["ssl.key.password"] = "hunter3";
  auto p = KafkaProducer::create(c);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().to_string().find("hunter"), std::string::npos) << p.error().to_string();
  EXPECT_TRUE(secret_property("sasl.password"));
  EXPECT_TRUE(secret_property("ssl.key.pem"));
  EXPECT_FALSE(secret_property("sasl.username"));
}

TEST(KafkaSecurityTest, AuthenticationAndTlsFailuresAreFatalOthersAreNot) {
  auto auth = auth_failure(-169 /* RD_KAFKA_RESP_ERR__AUTHENTICATION */,
                           "SASL authentication error", "b:1");
  ASSERT_TRUE(auth.has_value());
  EXPECT_NE(auth->message.find("authentication failed"), std::string::npos);
  EXPECT_NE(auth->message.find("kafka.sasl_password"), std::string::npos);
  auto tls = auth_failure(-181 /* RD_KAFKA_RESP_ERR__SSL */, "certificate verify failed", "b:1");
  ASSERT_TRUE(tls.has_value());
  EXPECT_NE(tls->message.find("TLS handshake failed"), std::string::npos);
  EXPECT_FALSE(auth_failure(-195 /* RD_KAFKA_RESP_ERR__TRANSPORT */, "down", "b:1").has_value());
}

}  // namespace
}  // namespace flowsentry::stream
