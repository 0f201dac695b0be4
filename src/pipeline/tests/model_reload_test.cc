#include "pipeline/model_reloader.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/metrics.h"
#include "model/artifact.h"
#include "pipeline/pipeline.h"
#include "pipeline/testing/tiny_model.h"

namespace flowsentry::pipeline {
namespace {

namespace stdfs = std::filesystem;

double reloads(const char* result) {
  return MetricsRegistry::global()
      .counter("flowsentry_model_reloads_total", "", {{"result", result}})
      .value();
}

// Two artifacts with different versions: the committed default and portable models (loading
// them is quicker than training two, which every test process would repeat). Each test gets a
// fresh registry and SQLite store.
class ModelReloadTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = stdfs::temp_directory_path() / ("fs_reload_test_" + std::to_string(::getpid()));
    stdfs::remove_all(root_);
    for (const char* name : {"default", "portable"}) {
      const auto dir = std::string(FLOWSENTRY_SOURCE_DIR) + "/models/" + name;
      auto meta = model::read_file(dir + "/meta.json");
      ASSERT_TRUE(meta.ok()) << meta.error().to_string();
      dirs_.push_back(dir);
      versions_.push_back(nlohmann::json::parse(*meta)["model_version"].get<std::string>());
    }
    ASSERT_NE(versions_[0], versions_[1]);
  }
  static void TearDownTestSuite() { stdfs::remove_all(root_); }

  void SetUp() override {
    const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    registry_dir_ = (root_ / ("registry_" + name)).string();
    db_ = std::make_unique<testing::TempDb>("reload_" + name);
    auto s = store::open_store(db_->path());
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    store_ = std::move(s.value());
    options_.registry = registry_dir_;
    options_.path = dirs_[0];
    options_.interval_s = 0;
    options_.nthread = 1;
  }
  void TearDown() override { store_.reset(); }

  std::vector<store::DriftEvent> model_events() {
    auto events = store_->list_drift(0, 4e9, 100);
    EXPECT_TRUE(events.ok());
    std::vector<store::DriftEvent> out;
    for (const auto& e : *events) {
      if (e.kind == "model_changed") out.push_back(e);
    }
    return out;
  }

  static inline stdfs::path root_;
  static inline std::vector<std::string> dirs_, versions_;
  std::string registry_dir_;
  ReloadOptions options_;
  std::unique_ptr<testing::TempDb> db_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(ModelReloadTest, WithoutAnActiveVersionTheModelIsModelPath) {
  model::ScorerHandle models;
  ModelReloader r(options_, models, store_.get());
  ASSERT_TRUE(r.load_initial().ok());
  EXPECT_EQ(models.get()->model_version(), versions_[0]);
  EXPECT_EQ(r.source(), "path");
  EXPECT_FALSE(r.check("poll"));
}

TEST_F(ModelReloadTest, APromotionIsPickedUpAndRecorded) {
  model::Registry reg(registry_dir_);
  ASSERT_TRUE(reg.add(dirs_[0], "", "alice").ok());
  ASSERT_TRUE(reg.add(dirs_[1], "", "alice").ok());
  ASSERT_TRUE(reg.promote(versions_[0], "alice").ok());
  model::ScorerHandle models;
  ModelReloader r(options_, models, store_.get());
  ASSERT_TRUE(r.load_initial().ok());
  EXPECT_EQ(r.source(), "registry");
  EXPECT_FALSE(r.check("poll"));  // nothing new

  const double ok_before = reloads("ok");
  ASSERT_TRUE(reg.promote(versions_[1], "bob").ok());
  EXPECT_TRUE(r.check("poll"));
  EXPECT_EQ(models.get()->model_version(), versions_[1]);
  EXPECT_EQ(reloads("ok"), ok_before + 1);
  ASSERT_TRUE(reg.rollback("carol").ok());
  EXPECT_TRUE(r.check("sighup"));
  EXPECT_EQ(models.get()->model_version(), versions_[0]);

  auto events = model_events();
  ASSERT_EQ(events.size(), 2u);  // newest first
  auto latest = nlohmann::json::parse(events[0].details_json);
  EXPECT_EQ(latest["from"], versions_[1]);
  EXPECT_EQ(latest["to"], versions_[0]);
  EXPECT_EQ(latest["by"], "carol");
  EXPECT_EQ(latest["how"], "rollback");
  EXPECT_EQ(latest["trigger"], "sighup");
  EXPECT_EQ(nlohmann::json::parse(events[1].details_json)["by"], "bob");
}

TEST_F(ModelReloadTest, AModelThatFailsToLoadIsRefusedAndTheOldOneKeepsServing) {
  model::Registry reg(registry_dir_);
  ASSERT_TRUE(reg.add(dirs_[0], "", "a").ok());
  ASSERT_TRUE(reg.add(dirs_[1], "", "a").ok());
  ASSERT_TRUE(reg.promote(versions_[0], "a").ok());
  model::ScorerHandle models;
  ModelReloader r(options_, models, store_.get());
  ASSERT_TRUE(r.load_initial().ok());
  ASSERT_TRUE(reg.promote(versions_[1], "a").ok());
  std::ofstream(stdfs::path(reg.version_dir(versions_[1])) / model::kBinaryModelFile,
                std::ios::trunc)
      << "damaged after promotion";
  const double failed_before = reloads("failed");
  EXPECT_FALSE(r.check("poll"));
  EXPECT_EQ(models.get()->model_version(), versions_[0]);
  EXPECT_EQ(reloads("failed"), failed_before + 1);
  EXPECT_FALSE(r.check("poll"));  // not retried on every poll
  EXPECT_EQ(reloads("failed"), failed_before + 1);
  EXPECT_TRUE(model_events().empty());
}

TEST_F(ModelReloadTest, ACorruptIndexKeepsTheModel) {
  model::Registry reg(registry_dir_);
  ASSERT_TRUE(reg.add(dirs_[0], "", "a").ok());
  ASSERT_TRUE(reg.promote(versions_[0], "a").ok());
  model::ScorerHandle models;
  ModelReloader r(options_, models, store_.get());
  ASSERT_TRUE(r.load_initial().ok());
  std::ofstream(stdfs::path(registry_dir_) / "index.json", std::ios::trunc) << "{not json";
  EXPECT_FALSE(r.check("poll"));
  EXPECT_EQ(models.get()->model_version(), versions_[0]);
}

// The shadow scores every batch beside the active model; stored verdicts are the active one's.
TEST_F(ModelReloadTest, AShadowModelIsComparedButNeverStored) {
  model::Registry reg(registry_dir_);
  ASSERT_TRUE(reg.add(dirs_[0], "", "a").ok());
  ASSERT_TRUE(reg.add(dirs_[1], "", "a").ok());
  ASSERT_TRUE(reg.promote(versions_[0], "a").ok());
  ASSERT_TRUE(reg.set_shadow(versions_[1], "a").ok());
  model::ScorerHandle models;
  ModelReloader r(options_, models, store_.get());
  ASSERT_TRUE(r.load_initial().ok());
  ASSERT_NE(models.shadow(), nullptr);

  stream::GeneratorSourceOptions o;
  o.generator.seed = 3;
  o.count = 3000;
  stream::GeneratorSource source(o);
  PipelineOptions po;
  po.batch_size = 500;
  po.explain_top_k = 0;
  Pipeline p(source, models, *store_, po);
  std::set<std::string> stored_versions;
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    for (const auto& f : b) stored_versions.insert(f.verdict.model_version);
  });
  ASSERT_TRUE(p.run().ok());
  EXPECT_EQ(stored_versions, std::set<std::string>{versions_[0]});
  auto stats = models.shadow_stats().to_json();
  EXPECT_EQ(stats["flows"], 3000);
  EXPECT_EQ(stats["shadow"], versions_[1]);
  const double agreement = stats["agreement"].get<double>();
  EXPECT_GE(agreement, 0.0);
  EXPECT_LE(agreement, 1.0);
  const auto& n = stats["anomalies"];
  EXPECT_EQ(n["active"].get<int64_t>() - n["shadow"].get<int64_t>(),
            n["only_active"].get<int64_t>() - n["only_shadow"].get<int64_t>());
  EXPECT_NEAR(
      agreement,
      1.0 - static_cast<double>(n["only_active"].get<int64_t>() + n["only_shadow"].get<int64_t>()) /
                3000.0,
      1e-9);

  ASSERT_TRUE(reg.set_shadow("", "a").ok());
  r.check("poll");
  EXPECT_EQ(models.shadow(), nullptr);
}

// A batch takes the model once: a swap mid-run changes the version between batches, never
// inside one.
TEST_F(ModelReloadTest, EachBatchIsScoredByOneModel) {
  auto load = [](const std::string& dir) {
    auto s = model::Scorer::load(dir);
    return s.ok() ? std::shared_ptr<const model::Scorer>(std::move(*s)) : nullptr;
  };
  model::ScorerHandle models(load(dirs_[0]));
  auto other = load(dirs_[1]);
  stream::GeneratorSourceOptions o;
  o.generator.seed = 5;
  o.count = 2000;
  stream::GeneratorSource source(o);
  PipelineOptions po;
  po.batch_size = 100;
  po.explain_top_k = 0;
  Pipeline p(source, models, *store_, po);
  int batches = 0, mixed = 0;
  std::set<std::string> seen;
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    std::set<std::string> versions;
    for (const auto& f : b) versions.insert(f.verdict.model_version);
    mixed += versions.size() != 1;
    seen.insert(versions.begin(), versions.end());
    if (++batches == 5) models.set(other);
  });
  ASSERT_TRUE(p.run().ok());
  EXPECT_EQ(mixed, 0);
  EXPECT_EQ(seen.size(), 2u);
}

}  // namespace
}  // namespace flowsentry::pipeline
