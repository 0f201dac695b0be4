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
  EXPECT_EQ(meta["features"].size(), FeatureSpace::kFullSize);
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
  std::vector<float> x(rows.size() * FeatureSpace::kFullSize);
  for (size_t i = 0; i < rows.size(); ++i) {
    artifact_->meta.features.encode(rows[i], &x[i * FeatureSpace::kFullSize]);
  }
  auto m = xgb::DMatrix::dense(x, rows.size(), FeatureSpace::kFullSize, 1);
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

TEST_F(ArtifactTest, MetaWithoutAProfileLoadsAsFullWithTheSameScores) {
  auto meta = meta_json();
  EXPECT_EQ(meta["profile"], "full");
  meta.erase("profile");
  rewrite("meta.json", meta.dump());
  auto loaded = Scorer::load(dir_.string());
  ASSERT_TRUE(loaded.ok()) << loaded.error().to_string();
  EXPECT_EQ(&(*loaded)->meta().features.profile(), &flow::full_profile());
  Scorer original(std::move(artifact_), {});
  auto rows = testing::synthetic_data(50, 99).rows;
  std::vector<Verdict> a, b;
  ASSERT_TRUE(original.score(rows, a).ok());
  ASSERT_TRUE((*loaded)->score(rows, b).ok());
  for (size_t i = 0; i < rows.size(); ++i) EXPECT_EQ(a[i].score, b[i].score);
}

TEST_F(ArtifactTest, UnknownProfileIsIncompatible) {
  auto meta = meta_json();
  meta["profile"] = "sflow";
  rewrite("meta.json", meta.dump());
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIncompatible);
  EXPECT_NE(r.error().message.find("'sflow'"), std::string::npos);
}

TEST_F(ArtifactTest, ProfileThatDisagreesWithTheFeatureListIsIncompatible) {
  auto meta = meta_json();
  meta["profile"] = "netflow";  // the list still holds every feature
  rewrite("meta.json", meta.dump());
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kIncompatible);
}

TEST_F(ArtifactTest, MistypedProfileIsCorrupt) {
  auto meta = meta_json();
  meta["profile"] = 7;
  rewrite("meta.json", meta.dump());
  auto r = load_artifact(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kCorrupt);
}

class ProfileModelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = stdfs::temp_directory_path() / ("flowsentry_profile_test_" + std::to_string(::getpid()));
    stdfs::remove_all(dir_);
    auto o = testing::fast_options();
    o.profile = "netflow";
    auto a = train(testing::synthetic_data(600), o);
    ASSERT_TRUE(a.ok()) << a.error().to_string();
    ASSERT_TRUE(save_artifact(**a, dir_.string()).ok());
    auto s = Scorer::load(dir_.string());
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    scorer_ = std::move(*s);
  }
  void TearDown() override { stdfs::remove_all(dir_); }

  stdfs::path dir_;
  std::unique_ptr<Scorer> scorer_;
};

TEST_F(ProfileModelTest, TheBoostersSeeOnlyTheProfilesColumns) {
  const auto& fs = scorer_->meta().features;
  EXPECT_EQ(fs.profile().name, "netflow");
  auto n = scorer_->artifact().binary.num_features();
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n, fs.size());
  auto meta = nlohmann::json::parse(*read_file((dir_ / "meta.json").string()));
  EXPECT_EQ(meta["profile"], "netflow");
  EXPECT_EQ(meta["features"].get<std::vector<std::string>>(), fs.names());
}

TEST_F(ProfileModelTest, ScoresDoNotDependOnFieldsOutsideTheProfile) {
  auto rows = testing::synthetic_data(40, 5).rows;
  std::vector<Verdict> before, after;
  ASSERT_TRUE(scorer_->score(rows, before, {.top_k = 3}).ok());
  for (auto& r : rows) {
    r[flow::kSttl] = 3;
    r[flow::kDttl] = 200;
    r[flow::kTcprtt] = 9;
    r[flow::kCtStateTtl] = 6;
    r[flow::kTransDepth] = 4;
  }
  ASSERT_TRUE(scorer_->score(rows, after, {.top_k = 3}).ok());
  const auto& names = scorer_->meta().features.names();
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(before[i].score, after[i].score);
    EXPECT_EQ(before[i].attack_cat, after[i].attack_cat);
    ASSERT_EQ(after[i].top_features.size(), 3u);
    for (const auto& c : after[i].top_features) {
      EXPECT_NE(std::find(names.begin(), names.end(), c.feature), names.end()) << c.feature;
    }
  }
}

TEST_F(ProfileModelTest, TheModelCardNamesTheProfileAndWhatItLeavesOut) {
  auto card = *read_file((dir_ / "model_card.md").string());
  EXPECT_NE(card.find("Feature profile `netflow`"), std::string::npos) << card;
  EXPECT_NE(card.find("Left out (22), never given to the boosters: sttl, dttl, sloss"),
            std::string::npos)
      << card;
  EXPECT_NE(card.find("Features (23, in order)"), std::string::npos) << card;
}

TEST_F(ProfileModelTest, RecordedComparisonShowsInTheCard) {
  auto report = scorer_->artifact().metrics["validation"];
  ASSERT_TRUE(record_metrics(dir_.string(), "test", report).ok());
  nlohmann::json row = {{"profile", "netflow"},
                        {"features", 23},
                        {"xgboost", {{"auc", 0.9812}, {"fpr_at_recall_95", 0.05}}},
                        {"sklearn_rf", {{"auc", 0.97}, {"fpr_at_recall_95", 0.1}}}};
  nlohmann::json comparison = {
      {"data", "test.csv"}, {"rf_params", "200 trees"}, {"profiles", {row}}};
  ASSERT_TRUE(record_metrics(dir_.string(), "comparison", comparison).ok());
  auto card = *read_file((dir_ / "model_card.md").string());
  EXPECT_NE(card.find("## What each profile costs (test.csv)"), std::string::npos) << card;
  EXPECT_NE(card.find("| netflow (this model) | 23 | 0.9812 | 5.00% | 0.9700 | 10.00% |"),
            std::string::npos)
      << card;
}

TEST(TrainerTest, UnknownProfileIsRefused) {
  auto o = testing::fast_options();
  o.profile = "sflow";
  auto a = train(testing::synthetic_data(100), o);
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.error().code, ErrorCode::kInvalidArgument);
  EXPECT_NE(a.error().message.find("full, portable, netflow, conn"), std::string::npos);
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
