// Quality bars on the real UNSW-NB15 split (LABEL integration): a fresh training run, and the
// committed models (default and one per feature profile) re-evaluated against their own
// metrics.json. Skipped without the data.
#include <gtest/gtest.h>

#include <filesystem>

#include "model/artifact.h"
#include "model/evaluate.h"
#include "model/trainer.h"

namespace flowsentry::model {
namespace {

namespace stdfs = std::filesystem;
const stdfs::path kData = FLOWSENTRY_DATASET_DIR;
const stdfs::path kDefaultModel = stdfs::path(FLOWSENTRY_SOURCE_DIR) / "models" / "default";

#define REQUIRE_DATASET()                                                                        \
  if (!stdfs::exists(kData / "train.csv") || !stdfs::exists(kData / "test.csv")) {               \
    GTEST_SKIP() << "UNSW-NB15 not found in " << kData                                           \
                 << " (set -DFLOWSENTRY_DATASET_DIR=... to the folder with train.csv/test.csv)"; \
  }

void expect_bars(const nlohmann::json& r) {
  EXPECT_GE(r["auc"].get<double>(), 0.997);
  EXPECT_LE(r["fpr_at_recall_95"].get<double>(), 0.008);
  EXPECT_GE(r["recall"].get<double>(), 0.97);
  EXPECT_LE(r["fpr"].get<double>(), 0.02);
  EXPECT_GE(r["multiclass"]["accuracy"].get<double>(), 0.87);
  EXPECT_GE(r["multiclass"]["macro_f1"].get<double>(), 0.55);
}

TEST(QualityTest, TrainingOnTrainCsvMeetsTheBarsOnTestCsv) {
  REQUIRE_DATASET();
  auto data = load_training_data({(kData / "train.csv").string()});
  ASSERT_TRUE(data.ok()) << data.error().to_string();
  auto artifact = train(*data, TrainOptions{});
  ASSERT_TRUE(artifact.ok()) << artifact.error().to_string();
  Scorer scorer(std::move(*artifact), {});
  auto r = evaluate_file(scorer, (kData / "test.csv").string());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  std::cerr << "test.csv: " << r->dump() << "\n";
  EXPECT_EQ((*r)["rows"], 12350);
  expect_bars(*r);
}

TEST(QualityTest, CommittedDefaultModelStillMatchesItsMetrics) {
  REQUIRE_DATASET();
  auto scorer = Scorer::load(kDefaultModel.string());
  ASSERT_TRUE(scorer.ok()) << scorer.error().to_string();
  const auto& recorded = (*scorer)->artifact().metrics;
  ASSERT_TRUE(recorded.contains("test"))
      << "models/default/metrics.json has no \"test\" entry: run `make model`";
  auto r = evaluate_file(**scorer, (kData / "test.csv").string());
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  const auto& t = recorded["test"];
  for (const char* k : {"rows", "auc", "accuracy", "precision", "recall", "f1", "fpr", "threshold",
                        "fpr_at_recall_95"}) {
    EXPECT_NEAR((*r)[k].get<double>(), t[k].get<double>(), 1e-6) << k;
  }
  for (const char* k : {"accuracy", "macro_f1"}) {
    EXPECT_NEAR((*r)["multiclass"][k].get<double>(), t["multiclass"][k].get<double>(), 1e-6) << k;
  }
  expect_bars(*r);
}

// `make model` chose the default's settings by 5-fold cross-validation on train.csv and trained
// a plain XGBoost beside it; on test.csv the default must beat it on every headline metric.
// Reads only the committed files, so it runs without the data set.
TEST(QualityTest, CommittedDefaultBeatsThePlainXgboostTrainedBesideIt) {
  auto a = load_artifact(kDefaultModel.string());
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  const auto& m = (*a)->metrics;
  ASSERT_TRUE(m.contains("test") && m.contains("baseline"))
      << "models/default/metrics.json lacks \"test\" or \"baseline\": run `make model`";
  const auto& t = m["test"];
  const auto& b = m["baseline"]["report"];
  EXPECT_EQ(t["rows"], b["rows"]);
  EXPECT_GT(t["auc"].get<double>(), b["auc"].get<double>());
  EXPECT_LT(t["fpr_at_recall_95"].get<double>(), b["fpr_at_recall_95"].get<double>());
  EXPECT_GT(t["multiclass"]["accuracy"].get<double>(), b["multiclass"]["accuracy"].get<double>());
  EXPECT_GT(t["multiclass"]["macro_f1"].get<double>(), b["multiclass"]["macro_f1"].get<double>());
  const auto& cv = (*a)->meta.training.at("cv");
  EXPECT_EQ(cv["folds"], 5);
  EXPECT_EQ(cv["baseline"], "plain XGBoost");
  for (const auto& c : cv["candidates"]) EXPECT_EQ(c["folds"].size(), 5u) << c["name"];
}

// models/portable, models/netflow, models/conn: what `make models` committed still loads with
// its profile and reproduces its recorded test metrics (no bars: a profile's cost is data).
TEST(QualityTest, CommittedProfileModelsStillMatchTheirMetrics) {
  REQUIRE_DATASET();
  for (const char* name : {"portable", "netflow", "conn"}) {
    SCOPED_TRACE(name);
    const auto dir = stdfs::path(FLOWSENTRY_SOURCE_DIR) / "models" / name;
    auto scorer = Scorer::load(dir.string());
    ASSERT_TRUE(scorer.ok()) << scorer.error().to_string();
    EXPECT_EQ((*scorer)->meta().features.profile().name, name);
    const auto& recorded = (*scorer)->artifact().metrics;
    ASSERT_TRUE(recorded.contains("test")) << "no \"test\" entry: run `make models`";
    auto r = evaluate_file(**scorer, (kData / "test.csv").string());
    ASSERT_TRUE(r.ok()) << r.error().to_string();
    EXPECT_EQ((*r)["profile"], name);
    for (const char* k : {"rows", "auc", "fpr_at_recall_95", "recall", "fpr", "threshold"}) {
      EXPECT_NEAR((*r)[k].get<double>(), recorded["test"][k].get<double>(), 1e-6) << k;
    }
  }
}

}  // namespace
}  // namespace flowsentry::model
