// The split of the behaviour detectors across processes, with in-process fakes for Kafka:
// workers (scope kSourceKeyed) publish flow summaries keyed by target, the alerter (scope
// kTargetKeyed) decodes them and raises the target-keyed alerts, once, for the whole traffic.
#include "pipeline/summary_publisher.h"

#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "detect/dispatcher.h"
#include "detect/flow_summary.h"
#include "pipeline/detection.h"

namespace flowsentry::pipeline {
namespace {

constexpr double kT0 = 1700000000;

struct Message {
  std::string key, value;
};

// One process's detection stage with a dispatcher that sends nowhere; the alert log keeps
// every submitted alert.
struct Process {
  explicit Process(detect::BehaviourScope scope) {
    DetectionOptions o;
    o.behaviour.scope = scope;
    o.behaviour.flood_packets = 1000;
    o.drift = scope != detect::BehaviourScope::kTargetKeyed;
    detect::DispatcherOptions d;
    d.rate_per_min = 0;
    dispatcher =
        std::make_unique<detect::Dispatcher>(d, std::vector<std::unique_ptr<detect::Notifier>>{});
    stage = std::make_unique<DetectionStage>(o, detect::MixReference{}, *dispatcher, nullptr);
  }
  std::vector<detect::Alert> floods() const {
    std::vector<detect::Alert> out;
    for (const auto& r : dispatcher->log().alerts()) {
      if (r.alert.kind == "flood") out.push_back(r.alert);
    }
    return out;
  }
  std::unique_ptr<detect::Dispatcher> dispatcher;
  std::unique_ptr<DetectionStage> stage;
};

// 1,500 spoofed SYNs (one packet each) to 10.0.0.2:80 within 1.5 s, with web traffic between.
std::vector<model::ScoredFlow> spoofed_flood() {
  std::vector<model::ScoredFlow> out;
  for (int i = 0; i < 1500; ++i) {
    model::ScoredFlow s;
    auto& f = s.flow;
    f.stime = kT0 + i * 0.001;
    f.ltime = f.stime;
    f.srcip = fmt::format("172.16.{}.{}", i >> 8 & 255, i & 255);
    f.sport = 1024 + i;
    f.dstip = "10.0.0.2";
    f.dsport = 80;
    f.proto = "tcp";
    f.state = "REQ";
    f[flow::kSpkts] = 1;
    out.push_back(s);
    if (i % 10 == 0) {  // an established web flow: no summary
      s.flow.srcip = "10.0.0.7";
      s.flow.state = "FIN";
      s.flow[flow::kDpkts] = 8;
      out.push_back(s);
    }
  }
  return out;
}

// Flows keyed by source go to one of `workers` partitions, as Kafka's partitioner would.
std::vector<std::vector<model::ScoredFlow>> split_by_source(
    const std::vector<model::ScoredFlow>& flows, size_t workers) {
  std::vector<std::vector<model::ScoredFlow>> out(workers);
  for (const auto& f : flows) out[std::hash<std::string>{}(*f.flow.srcip) % workers].push_back(f);
  return out;
}

// Runs `workers` workers and an alerter over the flows; the alerter's flood alerts, after
// checking that no worker raised one.
std::vector<detect::Alert> run_split(size_t workers, size_t* messages = nullptr) {
  std::vector<Message> topic;
  auto send = [&](const std::string& key, std::string value, uint64_t) {
    topic.push_back({key, std::move(value)});
    return true;
  };
  for (const auto& share : split_by_source(spoofed_flood(), workers)) {
    Process worker(detect::BehaviourScope::kSourceKeyed);
    SummaryPublisher publisher(send);
    for (size_t at = 0; at < share.size(); at += 400) {  // pipeline batches
      std::span<const model::ScoredFlow> batch(share.data() + at,
                                               std::min<size_t>(400, share.size() - at));
      worker.stage->observe(batch);
      publisher.publish(batch);
    }
    EXPECT_TRUE(worker.floods().empty()) << "a worker alerted on its share";
  }
  Process alerter(detect::BehaviourScope::kTargetKeyed);
  for (const auto& m : topic) {
    EXPECT_EQ(m.key, "10.0.0.2");
    std::vector<flow::FlowRecord> flows;
    std::string reason;
    EXPECT_TRUE(detect::decode_summaries(m.value, flows, reason)) << reason;
    alerter.stage->observe_summaries(flows);
  }
  if (messages) *messages = topic.size();
  return alerter.floods();
}

TEST(SummarySplitTest, TwoWorkersUnderTheThresholdGiveOneFloodAlertOnTheAlerter) {
  auto floods = run_split(2);
  ASSERT_EQ(floods.size(), 1u);
  EXPECT_EQ(floods[0].key(), "behaviour:flood:syn:to:10.0.0.2");
  EXPECT_EQ(floods[0].payload["hosts"]["dst"], "10.0.0.2");
  EXPECT_EQ(floods[0].payload["evidence"]["class_packets"], 1000);
}

TEST(SummarySplitTest, OneWorkerGivesTheSameAlertAsOneProcessSeeingEverything) {
  auto split = run_split(1);
  Process all(detect::BehaviourScope::kAll);
  auto flows = spoofed_flood();
  all.stage->observe(flows);
  auto whole = all.floods();
  ASSERT_EQ(split.size(), 1u);
  ASSERT_EQ(whole.size(), 1u);
  EXPECT_EQ(split[0].key(), whole[0].key());
  EXPECT_EQ(split[0].payload["evidence"]["class_packets"],
            whole[0].payload["evidence"]["class_packets"]);
  EXPECT_EQ(split[0].payload["first_time"], whole[0].payload["first_time"]);
}

TEST(SummarySplitTest, TheAlerterCountsSummariesNotTheAnomaliesOfTheSameFlows) {
  Process alerter(detect::BehaviourScope::kTargetKeyed);
  auto flows = spoofed_flood();
  for (auto& f : flows) f.verdict.label = 1;  // the model flagged every flow
  alerter.stage->observe(flows);              // from the anomalies topic
  EXPECT_TRUE(alerter.floods().empty());
}

TEST(SummarySplitTest, SummariesOfOneTargetShareMessagesUpToTheCap) {
  size_t messages = 0;
  run_split(1, &messages);
  // 1,500 summaries of one key in batches of 400 rows: one message per batch.
  EXPECT_EQ(messages, 5u);
  std::vector<Message> topic;
  SummaryPublisher publisher([&](const std::string& key, std::string value, uint64_t) {
    topic.push_back({key, std::move(value)});
    return true;
  });
  auto flows = spoofed_flood();
  publisher.publish(flows);
  size_t total = 0;
  for (const auto& m : topic) {
    std::vector<flow::FlowRecord> out;
    std::string reason;
    ASSERT_TRUE(detect::decode_summaries(m.value, out, reason));
    EXPECT_LE(out.size(), detect::kMaxSummariesPerMessage);
    total += out.size();
  }
  EXPECT_EQ(total, 1500u);
  EXPECT_EQ(topic.size(), 3u);
}

TEST(SummarySplitTest, AFullQueueDropsAndCountsWithoutWaiting) {
  const double before =
      MetricsRegistry::global()
          .counter("flowsentry_flow_summaries_dropped_total", "", {{"reason", "queue_full"}})
          .value();
  SummaryPublisher publisher([](const std::string&, std::string, uint64_t) { return false; });
  auto flows = spoofed_flood();
  publisher.publish(flows);
  EXPECT_EQ(publisher.dropped(), 1500u);
  EXPECT_EQ(publisher.published(), 0u);
  publisher.undelivered(7);
  EXPECT_EQ(publisher.dropped(), 1507u);
  EXPECT_EQ(
      MetricsRegistry::global()
              .counter("flowsentry_flow_summaries_dropped_total", "", {{"reason", "queue_full"}})
              .value() -
          before,
      1500);
}

double rejected(const std::string& reason) {
  return MetricsRegistry::global()
      .counter("flowsentry_flow_summaries_rejected_total", "", {{"reason", reason}})
      .value();
}

TEST(SummaryAdversarialTest, TheAlerterCountsBadMessagesByReasonAndKeepsTheGoodOnes) {
  std::vector<Message> topic;
  SummaryPublisher publisher([&](const std::string& key, std::string value, uint64_t) {
    topic.push_back({key, std::move(value)});
    return true;
  });
  auto flows = spoofed_flood();
  publisher.publish(flows);
  ASSERT_EQ(topic.size(), 3u);
  const double truncated = rejected("truncated"), version = rejected("bad_version");
  std::vector<std::string> messages{topic[0].value, topic[1].value.substr(0, 100), "{\"json\":1}",
                                    topic[2].value};
  std::vector<flow::FlowRecord> out;
  size_t good = 0;
  for (const auto& m : messages) {
    std::string reason;
    good += read_summaries(m, out, reason);
  }
  EXPECT_EQ(good, 2u);
  EXPECT_EQ(out.size(), 512u + (1500u - 1024u));  // the first and the last message
  EXPECT_EQ(rejected("truncated") - truncated, 1);
  EXPECT_EQ(rejected("bad_version") - version, 1);
}

}  // namespace
}  // namespace flowsentry::pipeline
