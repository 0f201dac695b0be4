#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "model/features.h"

namespace flowsentry::model {
namespace {

TEST(CategoryEncoderTest, OrdersByFrequencyThenNameAndDropsRareValues) {
  auto enc = CategoryEncoder::fit({{"udp", 10}, {"tcp", 50}, {"arp", 10}, {"rare", 2}}, 5, 64);
  ASSERT_EQ(enc.values(), (std::vector<std::string>{"tcp", "arp", "udp"}));
  EXPECT_EQ(enc.encode("tcp"), 0);
  EXPECT_EQ(enc.encode("arp"), 1);
  EXPECT_EQ(enc.encode("udp"), 2);
  EXPECT_EQ(enc.other(), 3);
  EXPECT_EQ(enc.encode("rare"), enc.other());
}

TEST(CategoryEncoderTest, UnseenValuesGoToOther) {
  auto enc = CategoryEncoder::fit({{"tcp", 5}}, 1, 64);
  EXPECT_EQ(enc.encode("sctp"), 1);
  EXPECT_EQ(enc.encode(""), 1);
  EXPECT_EQ(enc.decode(1), kOther);
  EXPECT_EQ(enc.decode(0), "tcp");
}

TEST(CategoryEncoderTest, KeepsAtMostMaxValues) {
  auto enc = CategoryEncoder::fit({{"a", 9}, {"b", 8}, {"c", 7}}, 1, 2);
  EXPECT_EQ(enc.values(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(enc.encode("c"), 2);
}

TEST(FeatureSpaceTest, EncodesNumericCategoricalAndEngineeredColumnsInNameOrder) {
  flow::FlowRecord r;
  r.proto = "tcp";
  r.service = "http";
  r.state = "FIN";
  r[flow::kSbytes] = 300;
  r[flow::kDbytes] = 99;
  r[flow::kSpkts] = 3;
  r[flow::kDpkts] = 0;
  r[flow::kSttl] = 254;
  r[flow::kDttl] = 252;
  std::vector<flow::FlowRecord> rows{r, r};
  rows[1].proto = "udp";
  auto fs = FeatureSpace::fit(rows, 1);
  std::array<float, FeatureSpace::kFullSize> x{};
  fs.encode(r, x.data());
  const auto& names = FeatureSpace::full_names();
  auto at = [&](std::string_view name) {
    return x[static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin())];
  };
  EXPECT_EQ(at("sbytes"), 300);
  EXPECT_EQ(at("proto"), static_cast<float>(fs.proto().encode("tcp")));
  EXPECT_EQ(at("service"), 0);
  EXPECT_FLOAT_EQ(at("sbytes_share"), 300.0f / 400.0f);
  EXPECT_FLOAT_EQ(at("spkts_share"), 3.0f / 4.0f);
  EXPECT_EQ(at("sttl_minus_dttl"), 2);
  r.service = "never-seen";
  fs.encode(r, x.data());
  EXPECT_EQ(at("service"), static_cast<float>(fs.service().other()));
}

TEST(FeatureSpaceTest, JsonRoundTripKeepsEncoders) {
  FeatureSpace fs(CategoryEncoder({"tcp", "udp"}), CategoryEncoder({"-"}),
                  CategoryEncoder({"FIN"}));
  auto back = FeatureSpace::from_json(fs.to_json());
  ASSERT_TRUE(back.ok()) << back.error().to_string();
  EXPECT_EQ(back->proto().values(), fs.proto().values());
  EXPECT_EQ(back->proto().encode("udp"), 1);
}

TEST(FeatureSpaceTest, FromJsonRejectsMissingOrMistypedEncoders) {
  auto missing = FeatureSpace::from_json(nlohmann::json{{"proto", {"tcp"}}});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ErrorCode::kCorrupt);
  auto mistyped = FeatureSpace::from_json(
      nlohmann::json{{"proto", {1}}, {"service", {"-"}}, {"state", {"FIN"}}});
  ASSERT_FALSE(mistyped.ok());
  EXPECT_NE(mistyped.error().message.find("proto"), std::string::npos);
}

TEST(FeatureSpaceTest, FullProfileUsesEveryColumnInTheFullLayoutOrder) {
  FeatureSpace fs;
  EXPECT_EQ(&fs.profile(), &flow::full_profile());
  ASSERT_EQ(fs.size(), FeatureSpace::kFullSize);
  EXPECT_TRUE(std::equal(fs.names().begin(), fs.names().end(), FeatureSpace::full_names().begin()));
}

TEST(FeatureSpaceTest, AProfileKeepsItsFieldsAndTheRatiosOfItsFieldsOnly) {
  const auto* netflow = flow::profile_by_name("netflow");
  ASSERT_NE(netflow, nullptr);
  FeatureSpace fs({}, {}, {}, *netflow);
  EXPECT_EQ(fs.size(), netflow->fields.size() + 2);
  const auto& n = fs.names();
  auto has = [&](std::string_view name) { return std::find(n.begin(), n.end(), name) != n.end(); };
  for (const char* kept :
       {"dur", "sbytes", "proto", "state", "ct_srv_src", "sbytes_share", "spkts_share"}) {
    EXPECT_TRUE(has(kept)) << kept;
  }
  for (const char* dropped :
       {"sttl", "ct_state_ttl", "tcprtt", "sinpkt", "ct_flw_http_mthd", "sttl_minus_dttl"}) {
    EXPECT_FALSE(has(dropped)) << dropped;
  }
  const auto* portable = flow::profile_by_name("portable");
  EXPECT_EQ(FeatureSpace({}, {}, {}, *portable).size(), FeatureSpace::kFullSize - 10);
  EXPECT_EQ(FeatureSpace({}, {}, {}, *flow::profile_by_name("conn")).size(),
            netflow->fields.size() + 5 + 2);
}

TEST(FeatureSpaceTest, AProfileEncodesTheFullLayoutsValuesOfItsColumns) {
  flow::FlowRecord r;
  for (size_t i = 0; i < flow::kNumFieldCount; ++i) r.num[i] = static_cast<double>(i + 1);
  r.proto = "udp";
  r.service = "dns";
  r.state = "CON";
  std::vector<flow::FlowRecord> rows{r};
  for (const auto& p : flow::kProfiles) {
    auto fs = FeatureSpace::fit(rows, 1, p);
    auto full = FeatureSpace::fit(rows, 1);
    std::array<float, FeatureSpace::kFullSize> all{}, some{};
    full.encode(r, all.data());
    fs.encode(r, some.data());
    for (size_t i = 0; i < fs.size(); ++i) {
      EXPECT_EQ(some[i], all[fs.columns()[i]]) << p.name << " " << fs.names()[i];
      EXPECT_EQ(fs.names()[i], FeatureSpace::full_names()[fs.columns()[i]]);
    }
  }
}

}  // namespace
}  // namespace flowsentry::model
