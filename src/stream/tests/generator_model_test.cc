// The generator's promise to the rest of the product: the committed default model scores its
// normal traffic as normal and its attack bursts as attacks. Skips when there is no model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "model/scorer.h"
#include "stream/generator.h"

namespace flowsentry::stream {
namespace {

TEST(GeneratorModelTest, DefaultModelTellsGeneratedAttacksFromNormalTraffic) {
  // FLOWSENTRY_MODEL_PATH is the model.path setting's variable; default: the committed model.
  const char* env = std::getenv("FLOWSENTRY_MODEL_PATH");
  const std::string dir = env ? env : std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no model at " << dir << " (flowsentry train)";
  auto scorer = model::Scorer::load(dir);
  ASSERT_TRUE(scorer.ok()) << scorer.error().to_string();

  GeneratorOptions o;
  o.seed = 2024;
  o.scenario = Scenario::kAttack;
  o.burst_every = 1000;
  o.burst_len = 500;
  FlowGenerator gen(o);
  std::vector<flow::FlowRecord> flows;
  for (int i = 0; i < 4000; ++i) flows.push_back(gen.next());
  std::vector<float> scores;
  ASSERT_TRUE((*scorer)->score_binary(flows, scores).ok());
  ASSERT_EQ(scores.size(), flows.size());

  size_t normal = 0, false_alarms = 0, attacks = 0, caught = 0;
  for (size_t i = 0; i < flows.size(); ++i) {
    const bool flagged = scores[i] >= (*scorer)->threshold();
    if (flows[i].label == 1) {
      ++attacks;
      caught += flagged;
    } else {
      ++normal;
      false_alarms += flagged;
    }
  }
  ASSERT_EQ(attacks, 1500u);
  EXPECT_LE(false_alarms, normal / 100) << false_alarms << " of " << normal << " normal flagged";
  EXPECT_GE(caught, attacks * 95 / 100) << caught << " of " << attacks << " attacks caught";
}

}  // namespace
}  // namespace flowsentry::stream
