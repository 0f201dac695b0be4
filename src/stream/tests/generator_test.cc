#include "stream/generator.h"

#include <gtest/gtest.h>

#include <map>

#include "flow/validate.h"
#include "stream/message.h"

namespace flowsentry::stream {
namespace {

std::vector<flow::FlowRecord> generate(GeneratorOptions o, size_t n) {
  FlowGenerator gen(o);
  std::vector<flow::FlowRecord> out;
  for (size_t i = 0; i < n; ++i) out.push_back(gen.next());
  return out;
}

TEST(GeneratorTest, SameSeedGivesTheSameFlows) {
  GeneratorOptions o;
  o.seed = 42;
  o.scenario = Scenario::kAttack;
  o.burst_every = 100;
  o.burst_len = 10;
  auto a = generate(o, 500);
  auto b = generate(o, 500);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(encode_message(a[i], MessageFormat::kJson),
              encode_message(b[i], MessageFormat::kJson));
  }
}

TEST(GeneratorTest, DifferentSeedsGiveDifferentFlows) {
  GeneratorOptions o;
  o.seed = 1;
  auto a = generate(o, 50);
  o.seed = 2;
  auto b = generate(o, 50);
  size_t same = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    same +=
        encode_message(a[i], MessageFormat::kJson) == encode_message(b[i], MessageFormat::kJson);
  }
  EXPECT_EQ(same, 0u);
}

TEST(GeneratorTest, KeysNameTheSeedAndCountUp) {
  GeneratorOptions o;
  o.seed = 7;
  auto flows = generate(o, 3);
  for (size_t i = 0; i < flows.size(); ++i) {
    EXPECT_EQ(flows[i].key.source, "generator:7");
    EXPECT_EQ(flows[i].key.offset, static_cast<int64_t>(i));
    ASSERT_TRUE(flows[i].stime);
    EXPECT_DOUBLE_EQ(*flows[i].stime, o.start_time + static_cast<double>(i) * o.time_step);
  }
}

TEST(GeneratorTest, EveryFlowPassesValidationAndSurvivesJson) {
  GeneratorOptions o;
  o.seed = 9;
  o.scenario = Scenario::kAttack;
  o.burst_every = 50;
  o.burst_len = 25;
  MessageDecoder dec(MessageFormat::kJson);
  for (const auto& rec : generate(o, 2000)) {
    for (size_t f = 0; f < flow::kNumFieldCount; ++f) {
      auto p = flow::check_num(static_cast<flow::NumField>(f), rec.num[f]);
      EXPECT_FALSE(p) << flow::kNumFields[f].name << ": " << p->problem;
    }
    flow::FlowRecord back;
    auto p = dec.decode(encode_message(rec, MessageFormat::kJson), back);
    EXPECT_FALSE(p) << p->field << ": " << p->problem;
  }
}

TEST(GeneratorTest, DerivedFieldsAreConsistentAsInTheDataSet) {
  GeneratorOptions o;
  o.seed = 11;
  o.scenario = Scenario::kAttack;
  o.burst_every = 10;
  o.burst_len = 5;
  for (const auto& r : generate(o, 1000)) {
    using namespace flow;
    EXPECT_DOUBLE_EQ(r[kSbytes], r[kSmean] * r[kSpkts]);
    EXPECT_DOUBLE_EQ(r[kDbytes], r[kDmean] * r[kDpkts]);
    EXPECT_LE(r[kSloss], r[kSpkts]);
    EXPECT_LE(r[kDloss], r[kDpkts]);
    EXPECT_GT(r[kDur], 0);
    EXPECT_GT(r[kRate], 0);
    if (r.proto == "tcp") {
      EXPECT_EQ(r[kSwin], 255);
      EXPECT_NEAR(r[kTcprtt], r[kSynack] + r[kAckdat], 1e-5 * r[kTcprtt] + 1e-12);
      EXPECT_GE(r[kSpkts], 2);
    } else {
      EXPECT_EQ(r[kSwin], 0);
      EXPECT_EQ(r[kTcprtt], 0);
    }
    EXPECT_GE(r[kCtSrvSrc], 1);
    EXPECT_LE(r[kCtSrcDportLtm], r[kCtDstLtm]);
  }
}

TEST(GeneratorTest, NormalScenarioIsAllBenignWithBenignTtls) {
  GeneratorOptions o;
  o.seed = 5;
  std::map<std::string, int> services;
  for (const auto& r : generate(o, 3000)) {
    EXPECT_EQ(r.label, 0);
    EXPECT_EQ(r.attack_cat, "Normal");
    EXPECT_EQ(r[flow::kSttl], 31);
    EXPECT_EQ(r[flow::kCtStateTtl], 0);
    ++services[r.service];
  }
  // A mix, not one kind: plain TCP, http and dns are each a sizeable share.
  EXPECT_GT(services["-"], 600);
  EXPECT_GT(services["http"], 300);
  EXPECT_GT(services["dns"], 300);
  EXPECT_GE(services.size(), 6u);
}

TEST(GeneratorTest, AttackScenarioPutsAttacksExactlyInTheBursts) {
  GeneratorOptions o;
  o.seed = 6;
  o.scenario = Scenario::kAttack;
  o.burst_every = 1000;
  o.burst_len = 100;
  auto flows = generate(o, 3000);
  size_t attacks = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    const auto& r = flows[i];
    const bool burst = i >= 1000 && i % 1000 < 100;
    EXPECT_EQ(r.label, burst ? 1 : 0) << "flow " << i;
    if (burst) {
      ++attacks;
      EXPECT_NE(r.attack_cat, "Normal");
      // Attack hosts in UNSW-NB15: TTL 254 towards 252 or no reply, ct_state_ttl 1 or 2.
      EXPECT_EQ(r[flow::kSttl], 254);
      EXPECT_GE(r[flow::kCtStateTtl], 1);
    }
  }
  EXPECT_EQ(attacks, 200u);  // bursts at 1000 and 2000, none at 0
}

TEST(GeneratorTest, FloodingAttacksAreTinyOneWayFlows) {
  GeneratorOptions o;
  o.seed = 8;
  FlowGenerator gen(o);
  size_t floods = 0;
  for (int i = 0; i < 500; ++i) {
    auto r = gen.next_attack();
    if (r.state != "INT") continue;
    ++floods;
    EXPECT_LT(r[flow::kDur], 0.001);
    EXPECT_EQ(r[flow::kDpkts], 0);
    EXPECT_EQ(r[flow::kDttl], 0);
    EXPECT_EQ(r[flow::kCtStateTtl], 2);
  }
  EXPECT_GT(floods, 250u);  // Generic DNS and DoS floods are most of an attack burst
}

TEST(GeneratorTest, DriftScenarioChangesTheServiceMix) {
  GeneratorOptions o;
  o.seed = 12;
  o.scenario = Scenario::kDrift;
  o.drift_after = 5000;
  auto flows = generate(o, 10000);
  auto share = [&](size_t from, size_t to, std::string_view service) {
    size_t n = 0;
    for (size_t i = from; i < to; ++i) n += flows[i].service == service;
    return static_cast<double>(n) / static_cast<double>(to - from);
  };
  EXPECT_NEAR(share(0, 5000, "dns"), 0.20, 0.03);
  EXPECT_NEAR(share(5000, 10000, "dns"), 0.45, 0.03);
  EXPECT_NEAR(share(0, 5000, "http"), 0.18, 0.03);
  EXPECT_NEAR(share(5000, 10000, "http"), 0.03, 0.02);
  for (const auto& r : flows) EXPECT_EQ(r.label, 0);
}

TEST(GeneratorTest, SourceStopsAtItsCount) {
  GeneratorSourceOptions o;
  o.generator.seed = 3;
  o.count = 250;
  GeneratorSource src(o);
  std::vector<flow::FlowRecord> out;
  while (!src.at_end()) {
    auto n = src.next_batch(out, 100, std::chrono::milliseconds(10));
    ASSERT_TRUE(n.ok());
  }
  EXPECT_EQ(out.size(), 250u);
  EXPECT_EQ(out.back().key.offset, 249);
  EXPECT_EQ(src.describe(), "generator:3 (normal)");
}

TEST(GeneratorTest, ScenarioNamesParse) {
  EXPECT_EQ(*parse_scenario("attack"), Scenario::kAttack);
  EXPECT_EQ(*parse_scenario("drift"), Scenario::kDrift);
  EXPECT_FALSE(parse_scenario("chaos").ok());
}

}  // namespace
}  // namespace flowsentry::stream
