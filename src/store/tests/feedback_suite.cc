// StoreTest cases for analyst feedback, suppression rules and the stored feature vectors, run
// on both backends.
#include <algorithm>

#include <fmt/format.h>

#include "store/tests/store_suite.h"

namespace flowsentry::store::testing {
namespace {

constexpr double kT0 = 1772323200;  // 2026-03-01 00:00:00 UTC

std::string id_of(const model::ScoredFlow& f) {
  return encode_flow_id(*f.flow.stime, f.flow.key);
}

// Flows with every numeric feature set (make_flows sets only the ones the tables show).
std::vector<model::ScoredFlow> full_flows(size_t n) {
  auto rows = make_flows(n, kT0, 3600, 7);
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t k = 0; k < flow::kNumFieldCount; ++k) {
      if (rows[i].flow.num[k] == 0) rows[i].flow.num[k] = static_cast<double>(i * 100 + k) + 0.25;
    }
  }
  return rows;
}

Feedback on_flow(const model::ScoredFlow& f, FeedbackLabel label, double created) {
  Feedback fb;
  fb.flow_id = id_of(f);
  fb.label = label;
  fb.analyst = "ana";
  fb.note = "seen before";
  fb.created = created;
  return fb;
}

}  // namespace

TEST_P(StoreTest, FeedbackOnAStoredAnomalyComesBackWithEveryFeature) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = full_flows(50);
  ASSERT_TRUE(s->write(rows).ok());
  auto it = std::find_if(rows.begin(), rows.end(), [](auto& f) { return f.verdict.label == 1; });
  ASSERT_NE(it, rows.end());
  auto fb = on_flow(*it, FeedbackLabel::kFalsePositive, kT0 + 4000);
  fb.attack_cat = "Normal";
  auto stored = s->add_feedback(fb);
  ASSERT_TRUE(stored.ok()) << stored.error().to_string();
  EXPECT_GT(stored->id, 0);
  auto back = s->feedback_flows(kT0, 100);
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  ASSERT_EQ(back->size(), 1u);
  const auto& ff = back->front();
  EXPECT_EQ(ff.flow.num, it->flow.num);  // all 39, exactly
  EXPECT_EQ(ff.flow.proto, it->flow.proto);
  EXPECT_EQ(ff.flow.service, it->flow.service);
  EXPECT_EQ(ff.flow.state, it->flow.state);
  EXPECT_EQ(ff.flow.key.offset, it->flow.key.offset);
  EXPECT_EQ(ff.label01(), 0);
  EXPECT_EQ(ff.attack_cat, "Normal");
  EXPECT_EQ(ff.created, kT0 + 4000);
  auto later = s->feedback_flows(kT0 + 4001, 100);
  ASSERT_TRUE(later.ok());
  EXPECT_TRUE(later->empty());
}

TEST_P(StoreTest, FeedbackOnAFlowOrAlertNotStoredIsNotFound) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = full_flows(3);
  auto fb = on_flow(rows[0], FeedbackLabel::kTruePositive, kT0);  // never written
  auto r = s->add_feedback(fb);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  Feedback alert;
  alert.alert_id = "no-such-alert";
  alert.analyst = "ana";
  r = s->add_feedback(alert);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  ASSERT_TRUE(s->record_alert({"a-1", "burst", "burst:x", kT0, "{}", "sent"}).ok());
  alert.alert_id = "a-1";
  auto ok = s->add_feedback(alert);
  ASSERT_TRUE(ok.ok()) << ok.error().to_string();
  EXPECT_EQ(ok->alert_id, "a-1");
}

TEST_P(StoreTest, FeedbackPagesNewestFirstWithFilters) {
  auto s = open();
  ASSERT_TRUE(s);
  auto rows = full_flows(10);
  ASSERT_TRUE(s->write(rows).ok());
  for (int i = 0; i < 5; ++i) {
    auto label = i % 2 ? FeedbackLabel::kTruePositive : FeedbackLabel::kBenignExpected;
    ASSERT_TRUE(s->add_feedback(on_flow(rows[static_cast<size_t>(i)], label, kT0 + i)).ok());
  }
  auto first = s->list_feedback({}, std::nullopt, 2);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].created, kT0 + 4);
  ASSERT_TRUE(first->next);
  auto second = s->list_feedback({}, first->next, 10);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->items.size(), 3u);
  EXPECT_FALSE(second->next);
  EXPECT_EQ(second->items.back().created, kT0);
  FeedbackFilter tp{FeedbackLabel::kTruePositive, std::nullopt};
  EXPECT_EQ(s->list_feedback(tp, std::nullopt, 10)->items.size(), 2u);
  FeedbackFilter since{std::nullopt, kT0 + 3};
  EXPECT_EQ(s->list_feedback(since, std::nullopt, 10)->items.size(), 2u);
  const int64_t id = first->items[0].id;
  ASSERT_TRUE(s->delete_feedback(id).ok());
  auto again = s->delete_feedback(id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s->list_feedback({}, std::nullopt, 10)->items.size(), 4u);
}

TEST_P(StoreTest, SuppressionRulesInForceNewestFirstUntilTheyExpire) {
  auto s = open();
  ASSERT_TRUE(s);
  Suppression r;
  r.src = "10.0.0.0/8";
  r.port = 22;
  r.analyst = "ana";
  r.expires = kT0 + 100;
  auto a = s->add_suppression(r);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  r.src.reset();
  r.kind = "port_scan";
  r.expires = kT0 + 200;
  auto b = s->add_suppression(r);
  ASSERT_TRUE(b.ok());
  auto now = s->list_suppressions(kT0, 10);
  ASSERT_TRUE(now.ok()) << now.error().to_string();
  ASSERT_EQ(now->size(), 2u);
  EXPECT_EQ((*now)[0].id, b->id);
  EXPECT_EQ((*now)[1].src, "10.0.0.0/8");
  EXPECT_EQ((*now)[1].port, 22);
  EXPECT_FALSE((*now)[1].kind);
  EXPECT_EQ(s->list_suppressions(kT0 + 150, 10)->size(), 1u);
  EXPECT_EQ(s->list_suppressions(kT0, 1)->size(), 1u);
  ASSERT_TRUE(s->delete_suppression(b->id).ok());
  EXPECT_EQ(s->delete_suppression(b->id).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(s->list_suppressions(kT0, 10)->size(), 1u);
}

TEST_P(StoreTest, RetentionDropsOldFeedbackAndExpiredRules) {
  auto s = open(1);
  ASSERT_TRUE(s);
  auto rows = full_flows(20);
  ASSERT_TRUE(s->write(rows).ok());
  ASSERT_TRUE(s->add_feedback(on_flow(rows[0], FeedbackLabel::kFalsePositive, kT0 + 10)).ok());
  Suppression r;
  r.kind = "flood";
  r.analyst = "ana";
  r.expires = kT0 + 10;
  ASSERT_TRUE(s->add_suppression(r).ok());
  ASSERT_TRUE(s->apply_retention(kT0 + 3 * 86400).ok());
  EXPECT_TRUE(s->list_feedback({}, std::nullopt, 10)->items.empty());
  EXPECT_TRUE(s->list_suppressions(0, 10)->empty());
  EXPECT_TRUE(s->feedback_flows(0, 10)->empty());
}

TEST_P(StoreTest, SampledNormalFlowsKeepTheirFeaturesOthersDoNot) {
  StoreOptions o;
  o.url = fresh_url(GetParam());
  o.feature_sample = 0.3;
  auto opened = open_store(o);
  ASSERT_TRUE(opened.ok()) << opened.error().to_string();
  auto& s = *opened;
  auto rows = full_flows(200);
  ASSERT_TRUE(s->write(rows).ok());
  size_t kept = 0, dropped = 0;
  for (const auto& f : rows) {
    if (f.verdict.label == 1) continue;
    auto fb = s->add_feedback(on_flow(f, FeedbackLabel::kTruePositive, kT0));
    ASSERT_TRUE(fb.ok());
    (keeps_features(f, 0.3) ? kept : dropped)++;
  }
  ASSERT_GT(kept, 0u);
  ASSERT_GT(dropped, 0u);
  auto back = s->feedback_flows(0, 1000);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->size(), kept);
}

TEST(FeatureSampleTest, KeepsEveryAnomalyAndTheSampledShareOfNormalFlows) {
  model::ScoredFlow f;
  f.flow.key.source = "flows";
  size_t kept = 0;
  constexpr int kN = 100000;
  for (int i = 0; i < kN; ++i) {
    f.flow.key.offset = i;
    f.verdict.label = 0;
    kept += keeps_features(f, 0.01);
    f.verdict.label = 1;
    EXPECT_TRUE(keeps_features(f, 0.0));
  }
  EXPECT_NEAR(static_cast<double>(kept) / kN, 0.01, 0.002);
  EXPECT_FALSE(keeps_features(f, -1));  // store.keep_features off: not even anomalies
  f.verdict.label = 0;
  EXPECT_FALSE(keeps_features(f, 0.0));
  EXPECT_TRUE(keeps_features(f, 1.0));
}

TEST(FeatureCodecTest, RoundTripsAndRefusesWhatItDidNotWrite) {
  flow::FlowRecord f;
  f.proto = "tcp";
  f.service = "a\"quote";
  f.state = "FIN";
  for (size_t k = 0; k < flow::kNumFieldCount; ++k) f.num[k] = 0.1 * static_cast<double>(k) + 1e-9;
  auto back = decode_features(encode_features(f));
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->num, f.num);
  EXPECT_EQ(back->service, f.service);
  const auto good = encode_features(f);
  EXPECT_LT(good.size(), 340u);
  auto hex = std::string("\\x");
  for (unsigned char c : good) hex += fmt::format("{:02x}", c);
  auto from_hex = decode_features(hex);  // as PostgreSQL answers bytea
  ASSERT_TRUE(from_hex.ok()) << from_hex.error().to_string();
  EXPECT_EQ(from_hex->num, f.num);
  for (std::string bad : {std::string(), std::string("[]"), "\x02" + good.substr(1),
                          good.substr(0, good.size() - 1), good + "x", std::string("\\xzz")}) {
    EXPECT_FALSE(decode_features(bad).ok()) << bad.size();
  }
}

}  // namespace flowsentry::store::testing
