#include "model/registry.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include "model/artifact.h"
#include "model/tests/synthetic.h"

namespace flowsentry::model {
namespace {

namespace stdfs = std::filesystem;

// Two small artifacts with different versions, trained once for every test.
class RegistryTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = stdfs::temp_directory_path() / ("fs_registry_test_" + std::to_string(::getpid()));
    stdfs::remove_all(root_);
    for (uint64_t seed : {1, 2, 3}) {
      auto a = train(testing::synthetic_data(400, seed), testing::fast_options());
      ASSERT_TRUE(a.ok()) << a.error().to_string();
      const auto dir = root_ / ("artifact" + std::to_string(seed));
      ASSERT_TRUE(save_artifact(**a, dir.string()).ok());
      artifacts_.push_back(dir.string());
      versions_.push_back((*a)->meta.model_version);
    }
  }
  static void TearDownTestSuite() { stdfs::remove_all(root_); }
  void SetUp() override {
    dir_ = (root_ / ::testing::UnitTest::GetInstance()->current_test_info()->name()).string();
    stdfs::remove_all(dir_);
  }

  static inline stdfs::path root_;
  static inline std::vector<std::string> artifacts_, versions_;
  std::string dir_;
};

TEST_F(RegistryTest, AnEmptyFolderIsAnEmptyRegistry) {
  auto index = Registry(dir_).read();
  ASSERT_TRUE(index.ok()) << index.error().to_string();
  EXPECT_TRUE(index->versions.empty());
  EXPECT_EQ(index->active(), "");
}

TEST_F(RegistryTest, RegisterCopiesTheArtifactAndRecordsItsMetadata) {
  Registry r(dir_);
  auto e = r.add(artifacts_[0], "", "alice");
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_EQ(e->version, versions_[0]);
  EXPECT_EQ(e->profile, "full");
  EXPECT_EQ(e->registered_by, "alice");
  EXPECT_EQ(e->parent, "");
  EXPECT_FALSE(e->data_sha256.empty());
  EXPECT_TRUE(e->metrics.contains("validation"));
  EXPECT_FALSE(e->metrics["validation"].contains("curves"));
  EXPECT_TRUE(load_artifact(r.version_dir(e->version)).ok());
  auto index = r.read();
  ASSERT_TRUE(index.ok());
  ASSERT_EQ(index->versions.size(), 1u);
  EXPECT_EQ(index->versions[0].version, versions_[0]);
}

TEST_F(RegistryTest, RegisteringTwiceIsAConflict) {
  Registry r(dir_);
  ASSERT_TRUE(r.add(artifacts_[0], "", "a").ok());
  auto again = r.add(artifacts_[0], "", "a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code, ErrorCode::kConflict);
}

TEST_F(RegistryTest, TheParentIsTheActiveVersionUnlessGiven) {
  Registry r(dir_);
  ASSERT_TRUE(r.add(artifacts_[0], "", "a").ok());
  ASSERT_TRUE(r.promote(versions_[0], "a").ok());
  auto second = r.add(artifacts_[1], "", "a");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->parent, versions_[0]);
  auto third = r.add(artifacts_[2], versions_[1].substr(0, 10), "a");
  ASSERT_TRUE(third.ok()) << third.error().to_string();
  EXPECT_EQ(third->parent, versions_[1]);
}

TEST_F(RegistryTest, PromoteAndRollbackMoveTheActivePointer) {
  Registry r(dir_);
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(r.add(artifacts_[i], "", "a").ok());
  ASSERT_TRUE(r.promote(versions_[0], "a").ok());
  auto p = r.promote(versions_[1], "bob");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->from, versions_[0]);
  EXPECT_EQ(p->to, versions_[1]);
  EXPECT_EQ(p->by, "bob");
  ASSERT_TRUE(r.promote(versions_[2], "a").ok());
  auto back = r.rollback("a");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->to, versions_[1]);
  EXPECT_EQ(r.read()->active(), versions_[1]);
  ASSERT_TRUE(r.rollback("a").ok());
  EXPECT_EQ(r.read()->active(), versions_[0]);
  auto none = r.rollback("a");
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.read()->history.size(), 5u);
}

TEST_F(RegistryTest, PromotingAnUnknownVersionIsRefused) {
  Registry r(dir_);
  ASSERT_TRUE(r.add(artifacts_[0], "", "a").ok());
  auto p = r.promote("xgb-nope", "a");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(r.read()->active(), "");
}

TEST_F(RegistryTest, ADamagedVersionIsNotPromoted) {
  Registry r(dir_);
  ASSERT_TRUE(r.add(artifacts_[0], "", "a").ok());
  std::ofstream(stdfs::path(r.version_dir(versions_[0])) / kBinaryModelFile) << "broken";
  auto p = r.promote(versions_[0], "a");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kCorrupt);
}

TEST_F(RegistryTest, ShadowIsSetClearedAndDroppedOnPromotion) {
  Registry r(dir_);
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(r.add(artifacts_[i], "", "a").ok());
  ASSERT_TRUE(r.promote(versions_[0], "a").ok());
  ASSERT_TRUE(r.set_shadow(versions_[1], "a").ok());
  EXPECT_EQ(r.read()->shadow, versions_[1]);
  ASSERT_TRUE(r.set_shadow("", "a").ok());
  EXPECT_EQ(r.read()->shadow, "");
  ASSERT_TRUE(r.set_shadow(versions_[1], "a").ok());
  ASSERT_TRUE(r.promote(versions_[1], "a").ok());
  EXPECT_EQ(r.read()->shadow, "");
}

TEST_F(RegistryTest, ACorruptIndexIsAClearError) {
  Registry r(dir_);
  ASSERT_TRUE(r.add(artifacts_[0], "", "a").ok());
  std::ofstream(stdfs::path(dir_) / "index.json", std::ios::trunc) << "{\"schema\": 1, \"vers";
  auto index = r.read();
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.error().code, ErrorCode::kCorrupt);
  EXPECT_NE(index.error().where.find("index.json"), std::string::npos);
  auto p = r.promote(versions_[0], "a");
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kCorrupt);
  std::ofstream(stdfs::path(dir_) / "index.json", std::ios::trunc)
      << R"({"schema": 1, "versions": [], "stack": ["xgb-gone"]})";
  EXPECT_EQ(r.read().error().code, ErrorCode::kCorrupt);
  std::ofstream(stdfs::path(dir_) / "index.json", std::ios::trunc) << R"({"schema": 99})";
  EXPECT_EQ(r.read().error().code, ErrorCode::kIncompatible);
}

// Every change holds the lock across read-modify-write: no promotion is lost and the index
// always parses.
TEST_F(RegistryTest, ConcurrentPromotionsAreAllRecorded) {
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(Registry(dir_).add(artifacts_[i], "", "a").ok());
  constexpr int kThreads = 4, kEach = 5;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Registry r(dir_);  // its own object, as separate CLI processes would have
      for (int i = 0; i < kEach; ++i) {
        // Alternate versions: a promotion of the already active one is a conflict, counted.
        auto p = r.promote(versions_[(t + i) % 2], "t" + std::to_string(t));
        if (!p.ok() && p.error().code != ErrorCode::kConflict) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  auto index = Registry(dir_).read();
  ASSERT_TRUE(index.ok()) << index.error().to_string();
  EXPECT_EQ(index->stack.size(), index->history.size());
  EXPECT_GE(index->history.size(), 1u);
  for (size_t i = 1; i < index->history.size(); ++i) {
    EXPECT_EQ(index->history[i].from, index->history[i - 1].to);  // none lost in between
  }
}

// The artifact format grows behind its schema version (new meta.json keys, new files): such an
// artifact still loads and registers, and one written today does too.
TEST_F(RegistryTest, ArtifactsWithNewKeysAndFilesStillRegister) {
  const auto grown = root_ / "grown";
  stdfs::remove_all(grown);
  stdfs::copy(artifacts_[0], grown);
  auto meta = nlohmann::json::parse(*read_file((grown / "meta.json").string()));
  meta["novelty"] = {{"kind", "half_space_trees"}, {"threshold", 0.7}};
  meta["feedback"] = {{"flows", 200}};
  std::ofstream(grown / "meta.json", std::ios::trunc) << meta.dump(2);
  std::ofstream(grown / "novelty.json") << "{}";
  Registry r(dir_);
  auto e = r.add(grown.string(), "", "a");
  ASSERT_TRUE(e.ok()) << e.error().to_string();
  EXPECT_TRUE(stdfs::exists(stdfs::path(r.version_dir(e->version)) / "novelty.json"));
  EXPECT_TRUE(load_artifact(r.version_dir(e->version)).ok());
}

}  // namespace
}  // namespace flowsentry::model
