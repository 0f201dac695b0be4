// Fixture tests against a real Kafka broker (KRaft) started by scripts/kafka once per suite, in
// its own state directory. Each test uses its own topics and consumer group.
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/testing/kafka.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "stream/generator.h"
#include "stream/kafka_consumer.h"
#include "stream/kafka_producer.h"
#include "stream/kafka_source.h"
#include "stream/message.h"

namespace flowsentry::stream {
namespace {

using namespace std::chrono_literals;

std::string run(const std::string& cmd, int* status) {
  auto r = flowsentry::testing::shell_run(cmd, /*trim=*/true);
  *status = r.code;
  return r.out;
}

class KafkaTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { brokers_ = flowsentry::testing::start_test_kafka("test"); }
  static void TearDownTestSuite() { flowsentry::testing::stop_test_kafka(); }

  void SetUp() override {
    ASSERT_FALSE(brokers_.empty())
        << "scripts/kafka start failed (needs java and maven: scripts/bootstrap); see its "
           "output above";
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
  }

  std::string topic(int partitions, const std::string& suffix = "") {
    std::string t = "t-" + name_ + suffix;
    auto st = create_topic(brokers_, t, partitions);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    return t;
  }

  std::unique_ptr<KafkaProducer> producer() {
    ProducerConfig c;
    c.brokers = brokers_;
    auto p = KafkaProducer::create(c);
    EXPECT_TRUE(p.ok()) << p.error().to_string();
    return p.ok() ? std::move(p.value()) : nullptr;
  }

  std::unique_ptr<KafkaConsumer> consumer(const std::string& t, const std::string& group,
                                          KafkaConsumer::RebalanceHandler h = {}) {
    ConsumerConfig c;
    c.brokers = brokers_;
    c.group = group;
    c.topics = {t};
    auto k = KafkaConsumer::create(c, std::move(h));
    EXPECT_TRUE(k.ok()) << k.error().to_string();
    return k.ok() ? std::move(k.value()) : nullptr;
  }

  // Produces `n` generated flows as JSON with the send-time header; returns their values.
  std::vector<std::string> produce_flows(const std::string& t, size_t n, uint64_t seed = 1) {
    auto p = producer();
    GeneratorOptions o;
    o.seed = seed;
    FlowGenerator gen(o);
    std::vector<std::string> values;
    for (size_t i = 0; i < n; ++i) {
      values.push_back(encode_message(gen.next(), MessageFormat::kJson));
      Headers h{{std::string(kSentMsHeader), "1700000000000"}};
      EXPECT_TRUE(p->produce(t, std::to_string(i), values.back(), h).ok());
    }
    auto st = p->flush(30s);
    EXPECT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_EQ(p->delivered(), n);
    EXPECT_EQ(p->failed(), 0u);
    return values;
  }

  // Polls until `n` messages arrived or `timeout` passed.
  static std::vector<KafkaMessage> poll_n(KafkaConsumer& c, size_t n,
                                          std::chrono::milliseconds timeout = 30s,
                                          size_t batch = 500) {
    std::vector<KafkaMessage> out;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
      auto r = c.poll_batch(out, std::min(batch, n - out.size()), 200ms);
      EXPECT_TRUE(r.ok()) << r.error().to_string();
    }
    return out;
  }

  static std::string brokers_;
  std::string name_;
};

std::string KafkaTest::brokers_;

TEST_F(KafkaTest, BrokersCommandPrintsTheRunningBroker) {
  int status = 0;
  EXPECT_EQ(run(std::string(FLOWSENTRY_SOURCE_DIR) + "/scripts/kafka brokers", &status), brokers_);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(brokers_.rfind("127.0.0.1:", 0), 0u) << brokers_;
}

TEST_F(KafkaTest, ProducedFlowsAreConsumedExactlyOnceWithManualCommits) {
  const size_t n = 3000;
  auto t = topic(3);
  auto values = produce_flows(t, n);
  auto c = consumer(t, "g-" + name_);
  auto msgs = poll_n(*c, n);
  ASSERT_EQ(msgs.size(), n);
  std::set<std::pair<int32_t, int64_t>> seen;
  std::set<std::string> seen_values;
  std::set<int32_t> partitions;
  MessageDecoder dec(MessageFormat::kJson);
  for (const auto& m : msgs) {
    EXPECT_TRUE(seen.insert({m.partition, m.offset}).second) << "duplicate " << m.offset;
    seen_values.insert(m.value);
    partitions.insert(m.partition);
    flow::FlowRecord rec;
    EXPECT_FALSE(dec.decode(m.value, rec));
    EXPECT_EQ(m.sent_ms, 1700000000000);
  }
  EXPECT_EQ(seen_values, std::set<std::string>(values.begin(), values.end()));
  EXPECT_EQ(partitions.size(), 3u);  // keyed messages spread over every partition
  ASSERT_TRUE(c->commit(KafkaConsumer::next_offsets(msgs)).ok());
  // Nothing more: every message came exactly once.
  std::vector<KafkaMessage> more;
  ASSERT_TRUE(c->poll_batch(more, 100, 1500ms).ok());
  EXPECT_TRUE(more.empty());
  auto committed = c->committed(c->assignment(), 5s);
  ASSERT_TRUE(committed.ok()) << committed.error().to_string();
  int64_t total = 0;
  for (const auto& tp : *committed) total += tp.offset;
  EXPECT_EQ(total, static_cast<int64_t>(n));
  EXPECT_TRUE(c->close().ok());
}

TEST_F(KafkaTest, ASecondConsumerInTheGroupResumesFromTheCommittedOffset) {
  auto t = topic(1);
  produce_flows(t, 100);
  const std::string group = "g-" + name_;
  {
    auto a = consumer(t, group);
    auto msgs = poll_n(*a, 100);
    ASSERT_EQ(msgs.size(), 100u);
    // Only the first 60 are "stored": commit those, then go away.
    ASSERT_TRUE(a->commit({TopicPartition{t, 0, 60}}).ok());
    ASSERT_TRUE(a->close().ok());
  }
  auto b = consumer(t, group);
  auto msgs = poll_n(*b, 40);
  ASSERT_EQ(msgs.size(), 40u);
  EXPECT_EQ(msgs.front().offset, 60);
  EXPECT_EQ(msgs.back().offset, 99);
  std::vector<KafkaMessage> more;
  ASSERT_TRUE(b->poll_batch(more, 10, 1000ms).ok());
  EXPECT_TRUE(more.empty());
}

TEST_F(KafkaTest, DeadLetterKeepsTheOriginalBytesAndTheReason) {
  auto dlq = topic(1, ".dlq");
  auto p = producer();
  Rejected r{flow::RecordKey{"flows", 2, 417},
             std::string("{\"dur\": oops\x01", 13),
             flow::FieldProblem{"", "invalid JSON: TAPE_ERROR", "bad_json"},
             "10.0.0.7",
             {{"trace-id", "abc"}},
             1700000000123};
  ASSERT_TRUE(p->produce_dead_letter(dlq, r).ok());
  ASSERT_TRUE(p->flush(10s).ok());
  auto c = consumer(dlq, "g-" + name_);
  auto msgs = poll_n(*c, 1);
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_EQ(msgs[0].value, r.bytes);
  std::map<std::string, std::string> h(msgs[0].headers.begin(), msgs[0].headers.end());
  EXPECT_EQ(h[std::string(kReasonHeader)], "bad_json");
  EXPECT_EQ(h[std::string(kProblemHeader)], "invalid JSON: TAPE_ERROR");
  EXPECT_EQ(h[std::string(kOriginHeader)], "flows/2/417");
  // The original message's key, headers and timestamp travel with it.
  EXPECT_EQ(msgs[0].key, "10.0.0.7");
  EXPECT_EQ(h["trace-id"], "abc");
  EXPECT_EQ(msgs[0].timestamp_ms, 1700000000123);
}

TEST_F(KafkaTest, PauseStopsDeliveryAndResumeGoesOnWithoutLossOrDuplicates) {
  auto t = topic(1);
  produce_flows(t, 1000);
  auto c = consumer(t, "g-" + name_);
  auto first = poll_n(*c, 100, 30s, 100);
  ASSERT_EQ(first.size(), 100u);
  ASSERT_TRUE(c->pause().ok());
  EXPECT_TRUE(c->paused());
  std::vector<KafkaMessage> while_paused;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(c->poll_batch(while_paused, 1000, 200ms).ok());
  EXPECT_TRUE(while_paused.empty()) << while_paused.size() << " messages while paused";
  ASSERT_TRUE(c->resume().ok());
  auto rest = poll_n(*c, 900);
  ASSERT_EQ(rest.size(), 900u);
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].offset, static_cast<int64_t>(i));
  for (size_t i = 0; i < rest.size(); ++i) EXPECT_EQ(rest[i].offset, static_cast<int64_t>(100 + i));
}

TEST_F(KafkaTest, RebalanceReportsAssignmentAndRevokeWhereCommitStillWorks) {
  auto t = topic(2);
  produce_flows(t, 200);
  std::vector<RebalanceEvent> events;
  std::vector<KafkaMessage> msgs;
  KafkaConsumer* self = nullptr;
  Status commit_in_revoke = make_error(ErrorCode::kInternal, "revoke handler did not run");
  auto c = consumer(t, "g-" + name_, [&](const RebalanceEvent& ev) {
    events.push_back(ev);
    if (ev.kind == RebalanceEvent::Kind::kRevoked) {
      commit_in_revoke = self->commit(KafkaConsumer::next_offsets(msgs));
    }
  });
  self = c.get();
  msgs = poll_n(*c, 200);
  ASSERT_EQ(msgs.size(), 200u);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0].kind, RebalanceEvent::Kind::kAssigned);
  EXPECT_EQ(events[0].partitions.size(), 2u);
  ASSERT_TRUE(c->close().ok());
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[1].kind, RebalanceEvent::Kind::kRevoked);
  EXPECT_EQ(events[1].partitions.size(), 2u);
  EXPECT_TRUE(commit_in_revoke.ok()) << commit_in_revoke.error().to_string();
  // The commit made while revoking holds: the group starts after everything.
  auto again = consumer(t, "g-" + name_);
  std::vector<KafkaMessage> more;
  ASSERT_TRUE(again->poll_batch(more, 10, 2000ms).ok());
  EXPECT_TRUE(more.empty());
}

TEST_F(KafkaTest, ASecondMemberTakesHalfThePartitions) {
  auto t = topic(4);
  const std::string group = "g-" + name_;
  std::vector<RebalanceEvent> a_events;
  auto a = consumer(t, group, [&](const RebalanceEvent& ev) { a_events.push_back(ev); });
  std::vector<KafkaMessage> sink;
  for (int i = 0; i < 50 && a->assignment().size() != 4; ++i) {
    ASSERT_TRUE(a->poll_batch(sink, 10, 100ms).ok());
  }
  ASSERT_EQ(a->assignment().size(), 4u);
  auto b = consumer(t, group);
  // Both must poll for the rebalance to complete.
  for (int i = 0; i < 100 && (a->assignment().size() != 2 || b->assignment().size() != 2); ++i) {
    ASSERT_TRUE(a->poll_batch(sink, 10, 50ms).ok());
    ASSERT_TRUE(b->poll_batch(sink, 10, 50ms).ok());
  }
  EXPECT_EQ(a->assignment().size(), 2u);
  EXPECT_EQ(b->assignment().size(), 2u);
  bool revoked = false;
  for (const auto& ev : a_events) revoked |= ev.kind == RebalanceEvent::Kind::kRevoked;
  EXPECT_TRUE(revoked);
}

TEST_F(KafkaTest, KafkaSourceDecodesKeysAndRejectsMalformedValues) {
  auto t = topic(1);
  auto p = producer();
  GeneratorOptions o;
  FlowGenerator gen(o);
  std::vector<std::string> bad_values;
  for (int i = 0; i < 12; ++i) {
    auto rec = gen.next();
    std::string v = i % 4 == 3 ? make_malformed(rec, MessageFormat::kCsv, static_cast<uint64_t>(i))
                               : encode_message(rec, MessageFormat::kCsv);
    if (i % 4 == 3) bad_values.push_back(v);
    ASSERT_TRUE(
        p->produce(t, {}, v, {{std::string(kSentMsHeader), std::to_string(1000 + i)}}).ok());
  }
  ASSERT_TRUE(p->flush(10s).ok());
  KafkaSource src(consumer(t, "g-" + name_), MessageFormat::kCsv);
  std::vector<flow::FlowRecord> out;
  std::vector<int64_t> sent;
  std::vector<Rejected> rejected;
  for (int i = 0; i < 100 && out.size() + rejected.size() < 12; ++i) {
    ASSERT_TRUE(src.next_batch(out, 100, 200ms).ok());
    sent.insert(sent.end(), src.sent_ms().begin(), src.sent_ms().end());
    src.take_rejected(rejected);
  }
  ASSERT_EQ(out.size(), 9u);
  ASSERT_EQ(rejected.size(), 3u);
  EXPECT_EQ(out[0].key.source, t);
  EXPECT_EQ(out[0].key.offset, 0);
  EXPECT_EQ(out[3].key.offset, 4);  // offset 3 was malformed
  EXPECT_EQ(sent[0], 1000);
  EXPECT_EQ(sent[3], 1004);
  EXPECT_EQ(rejected[0].key.offset, 3);
  EXPECT_EQ(rejected[0].bytes, bad_values[0]);
  EXPECT_FALSE(rejected[0].problem.reason.empty());
  // What a commit covers: every polled message, decoded or rejected.
  std::vector<flow::RecordKey> keys;
  for (const auto& r : rejected) keys.push_back(r.key);
  for (const auto& f : out) keys.push_back(f.key);
  const auto offsets = offsets_after(keys);
  ASSERT_EQ(offsets.size(), 1u);
  EXPECT_EQ(offsets[0].offset, 12);
}

TEST_F(KafkaTest, LagIsHighWatermarkMinusPosition) {
  auto t = topic(1);
  produce_flows(t, 300);
  auto c = consumer(t, "g-" + name_);
  auto msgs = poll_n(*c, 100, 30s, 100);
  ASSERT_EQ(msgs.size(), 100u);
  int64_t lag = -1;
  for (int i = 0; i < 50 && lag != 200; ++i) {
    auto l = c->lag();
    ASSERT_EQ(l.size(), 1u);
    lag = l[0].lag;
    if (lag != 200) std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(lag, 200);
  EXPECT_EQ(c->total_lag(), 200);
}

TEST_F(KafkaTest, ProduceCommandSendsEveryMessageWithItsSendTime) {
  auto t = topic(2);
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  int status = 0;
  std::string out =
      run(std::string(FLOWSENTRY_BINARY) + " produce --brokers " + brokers_ + " --topic " + t +
              " --data generator:normal --count 400 --format csv --seed 3"
              " --malformed-rate 0.25 --inject-burst 50@0 --quiet 2>&1",
          &status);
  ASSERT_EQ(status, 0) << out;
  EXPECT_NE(out.find("sent 400 "), std::string::npos) << out;
  EXPECT_NE(out.find("delivered 400 "), std::string::npos) << out;
  EXPECT_NE(out.find("injected 50 "), std::string::npos) << out;
  auto m = out.find("malformed ");
  ASSERT_NE(m, std::string::npos) << out;
  const long malformed = std::strtol(out.c_str() + m + 10, nullptr, 10);
  EXPECT_GT(malformed, 50);  // about a quarter of 400
  EXPECT_LT(malformed, 150);
  const auto after = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

  auto c = consumer(t, "g-" + name_);
  auto msgs = poll_n(*c, 400);
  ASSERT_EQ(msgs.size(), 400u);
  MessageDecoder dec(MessageFormat::kCsv);
  long bad = 0, attacks = 0;
  for (const auto& msg : msgs) {
    ASSERT_TRUE(msg.sent_ms) << "no " << kSentMsHeader << " header";
    EXPECT_GE(*msg.sent_ms, before);
    EXPECT_LE(*msg.sent_ms, after);
    flow::FlowRecord rec;
    if (dec.decode(msg.value, rec)) {
      ++bad;
    } else {
      attacks += rec.label == 1;
    }
  }
  EXPECT_EQ(bad, malformed);
  EXPECT_GT(attacks, 25);  // the injected burst, less the ones sent malformed
  EXPECT_LE(attacks, 50);
}

}  // namespace
}  // namespace flowsentry::stream
