#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/artifact.h"
#include "model/scorer.h"
#include "model/tests/synthetic.h"

namespace flowsentry::model {
namespace {

namespace stdfs = std::filesystem;

class ArtifactTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() /
           ("flowsentry_model_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    stdfs::remove_all(dir_);
    auto a = train(testing::synthetic_data(600), testing::fast_options());
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    artifact_ = std::move(*a);
    ASSERT_TRUE(save_artifact(*artifact_, dir_.string()).ok());
  }
  void TearDown() override { stdfs::remove_all(dir_); }

  void rewrite(const char* file, const std::string& bytes) {
    std::ofstream(dir_ / file, std::ios::binary | std::ios::trunc) << bytes;
  }
  nlohmann::json meta_json() {
    return nlohmann::json::parse(*read_file((dir_ / "meta.json").string()));
  }

  stdfs::path dir_;
  std::unique_ptr<Artifact> artifact_;
};

TEST_F(ArtifactTest, WritesEveryFile) {
  for (const char* f : {kBinaryModelFile, kAttackCatModelFile, "meta.json", "reference.json",
                        "metrics.json", "model_card.md"}) {
    EXPECT_TRUE(stdfs::exists(dir_ / f)) << f;
  }
  auto meta = meta_json();
  EXPECT_EQ(meta["schema_version"], kSchemaVersion);
  EXPECT_EQ(meta["features"].size(), FeatureSpace::kSize);
  EXPECT_FALSE(meta["threshold_rule"].get<std::string>().empty());
  EXPECT_EQ(meta["train_rows"].get<int>() + meta["validation_rows"].get<int>(), 600);
  auto ref = nlohmann::json::parse(*read_file((dir_ / "reference.json").string()));
  for (const char* k : {"proto", "service", "state", "score"}) EXPECT_TRUE(ref.contains(k)) << k;
  EXPECT_EQ(ref["score"]["total"], meta["validation_rows"]);
}

TEST_F(ArtifactTest, RoundTripGivesTheSameScores) {
  auto loaded = Scorer::load(dir_.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  const auto& s = **loaded;
  EXPECT_EQ(s.meta().model_version, artifact_->meta.model_version);
  EXPECT_DOUBLE_EQ(s.threshold(), artifact_->meta.threshold);
  EXPECT_EQ(s.meta().features.proto().values(), artifact_->meta.features.proto().values());

  auto rows = testing::synthetic_data(50, 99).rows;
  std::vector<float> x(rows.size() * FeatureSpace::kSize);
  for (size_t i = 0; i < rows.size(); ++i) {
    artifact_->meta.features.encode(rows[i], &x[i * FeatureSpace::kSize]);
  }
  auto m = xgb::DMatrix::dense(x, rows.size(), FeatureSpace::kSize, 1);
  ASSERT_TRUE(m.ok());
  std::vector<float> expected;
  ASSERT_TRUE(artifact_->binary.predict(*m, 0, expected).ok());
  std::vector<Verdict> v;
  ASSERT_TRUE(s.score(rows, v).ok());
  for (size_t i = 0; i < rows.size(); ++i)
    EXPECT_FLOAT_EQ(static_cast<float>(v[i].score), expected[i]);
}

TEST_F(ArtifactTest, MissingDirectoryIsNotFound) {
  auto r = load_artifact((dir_ / "nope").string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST_F(ArtifactTest, MissingModelFileIsNotFound) {
  stdfs::remove(dir_ / kAttackCatModelFile);
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  EXPECT_NE(r.error().where.find(kAttackCatModelFile), std::string::npos);
}

TEST_F(ArtifactTest, TruncatedModelFileIsCorrupt) {
  auto bytes = *read_file((dir_ / kBinaryModelFile).string());
  rewrite(kBinaryModelFile, bytes.substr(0, bytes.size() / 2));
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("sha256"), std::string::npos);
}

TEST_F(ArtifactTest, UnparsableMetaIsCorrupt) {
  rewrite("meta.json", "{\"schema_version\": 1, ");
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

TEST_F(ArtifactTest, MetaWithoutThresholdIsCorrupt) {
  auto meta = meta_json();
  meta.erase("threshold");
  rewrite("meta.json", meta.dump());
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(r.error().message.find("threshold"), std::string::npos);
}

TEST_F(ArtifactTest, OtherSchemaVersionIsIncompatible) {
  auto meta = meta_json();
  meta["schema_version"] = kSchemaVersion + 1;
  rewrite("meta.json", meta.dump());
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIncompatible);
  EXPECT_NE(r.error().message.find("re-train"), std::string::npos);
}

TEST_F(ArtifactTest, OtherFeatureLayoutIsIncompatible) {
  auto meta = meta_json();
  meta["features"][0] = "renamed";
  rewrite("meta.json", meta.dump());
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIncompatible);
}

TEST_F(ArtifactTest, RecordMetricsKeepsValidationAndAddsTheKey) {
  auto report = artifact_->metrics["validation"];
  report["rows"] = 5;
  ASSERT_TRUE(record_metrics(dir_.string(), "test", report).ok());
  auto metrics = nlohmann::json::parse(*read_file((dir_ / "metrics.json").string()));
  EXPECT_TRUE(metrics.contains("validation"));
  EXPECT_EQ(metrics["test"]["rows"], 5);
  auto card = *read_file((dir_ / "model_card.md").string());
  EXPECT_NE(card.find("| test | 5 |"), std::string::npos);
}

TEST_F(ArtifactTest, RecordMetricsRejectsAnIncompleteReport) {
  auto st = record_metrics(dir_.string(), "test", {{"rows", 5}});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kInvalidArgument);
}

TEST_F(ArtifactTest, CalibrationSurvivesARoundTripAndMovesTheScorersThreshold) {
  ModelMeta meta = artifact_->meta;
  Calibration c;
  c.site = "lab";
  c.validation_threshold = meta.threshold;
  c.threshold = 0.987654321;
  c.target_rate = 0.01;
  c.flows = 1234;
  c.rate_before = 0.9;
  c.rate_after = 0.008;
  c.data = {"normal.pcap", "ab12", 1234};
  meta.threshold = c.threshold;
  meta.calibration = c;
  ASSERT_TRUE(save_meta(dir_.string(), meta).ok());
  auto loaded = load_artifact(dir_.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  ASSERT_TRUE((*loaded)->meta.calibration.has_value());
  EXPECT_EQ((*loaded)->meta.calibration->site, "lab");
  EXPECT_EQ((*loaded)->meta.calibration->flows, 1234);
  EXPECT_EQ((*loaded)->meta.threshold, 0.987654321);  // exact through JSON
  auto scorer = Scorer::load(dir_.string());
  ASSERT_TRUE(scorer.ok());
  EXPECT_EQ((*scorer)->threshold(), 0.987654321);
  auto card = *read_file((dir_ / "model_card.md").string());
  EXPECT_NE(card.find("## Site calibration"), std::string::npos);
  EXPECT_NE(card.find("| after | 0.987654 | 0.80 % |"), std::string::npos) << card;
}

TEST_F(ArtifactTest, ArtifactsWithoutCalibrationStillLoad) {
  auto meta = meta_json();
  ASSERT_FALSE(meta.contains("calibration"));
  auto loaded = load_artifact(dir_.string());
  ASSERT_TRUE(loaded.ok());
  EXPECT_FALSE((*loaded)->meta.calibration.has_value());
}

TEST_F(ArtifactTest, CalibrationThatDisagreesWithTheThresholdIsCorrupt) {
  auto meta = meta_json();
  meta["calibration"] = {{"threshold", 0.99}, {"site", "x"}};
  rewrite("meta.json", meta.dump());
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

TEST(TrainerTest, SameSeedGivesTheSameModel) {
  auto data = testing::synthetic_data(400);
  auto a = train(data, testing::fast_options());
  auto b = train(data, testing::fast_options());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*(*a)->binary.save_buffer("ubj"), *(*b)->binary.save_buffer("ubj"));
  EXPECT_EQ(*(*a)->attack_cat.save_buffer("ubj"), *(*b)->attack_cat.save_buffer("ubj"));
  EXPECT_EQ((*a)->meta.threshold, (*b)->meta.threshold);
}

TEST(TrainerTest, StratifiedSplitKeepsClassSharesAndIsDeterministic) {
  std::vector<int> classes;
  for (int i = 0; i < 1000; ++i) classes.push_back(i < 900 ? 0 : (i < 990 ? 1 : 2));
  std::vector<size_t> tr, va, tr2, va2;
  stratified_split(classes, 0.2, 5, tr, va);
  stratified_split(classes, 0.2, 5, tr2, va2);
  EXPECT_EQ(va, va2);
  ASSERT_EQ(va.size(), 180u + 18u + 2u);
  EXPECT_EQ(tr.size() + va.size(), 1000u);
  int rare = 0;
  for (size_t i : va) rare += classes[i] == 2;
  EXPECT_EQ(rare, 2);
}

}  // namespace
}  // namespace flowsentry::model
