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
  std::array<float, FeatureSpace::kSize> x{};
  fs.encode(r, x.data());
  const auto& names = FeatureSpace::names();
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

}  // namespace
}  // namespace flowsentry::model
