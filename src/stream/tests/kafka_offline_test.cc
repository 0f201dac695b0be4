// Kafka client behaviour that needs no broker: configuration errors, delivery failures when
// nothing listens, and the offset arithmetic.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace flowsentry::stream
