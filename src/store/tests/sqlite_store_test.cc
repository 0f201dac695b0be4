// The store suite on SQLite, plus what only SQLite has: file URLs and WAL mode.
#include <atomic>
#include <filesystem>

#include "store/tests/store_suite.h"

namespace flowsentry::store::testing {
namespace {

std::filesystem::path temp_dir() {
  static const auto dir = [] {
    auto d = std::filesystem::temp_directory_path() /
             ("flowsentry-store-test-" + std::to_string(::getpid()));
    std::filesystem::remove_all(d);
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

const bool kRegistered = [] {
  register_backend("sqlite", [] {
    static std::atomic<int> n{0};
    return "sqlite:" + (temp_dir() / ("s" + std::to_string(n++) + ".db")).string();
  });
  return true;
}();

class SqliteCleanup : public ::testing::Environment {
 public:
  void TearDown() override { std::filesystem::remove_all(temp_dir()); }
};
const auto* kCleanup = ::testing::AddGlobalTestEnvironment(new SqliteCleanup);

}  // namespace

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values("sqlite"));

TEST(SqliteStoreTest, APlainPathAndASqliteUrlOpenTheSameFile) {
  auto path = (temp_dir() / "plain.db").string();
  auto a = open_store(path);
  ASSERT_TRUE(a.ok()) << a.error().to_string();
  EXPECT_EQ((*a)->backend(), "sqlite");
  auto rows = make_flows(5, 1772323200, 60, 1);
  ASSERT_EQ(*(*a)->write(rows), 5);
  a->reset();
  auto b = open_store("sqlite:" + path);
  ASSERT_TRUE(b.ok()) << b.error().to_string();
  EXPECT_EQ(*(*b)->count({1772323200, 1772323260}), 5);
  EXPECT_TRUE(std::filesystem::exists(path + "-wal")) << "WAL mode";
}

TEST(SqliteStoreTest, AnUnwritableDirectoryIsAnErrorNamingThePath) {
  auto r = open_store("/nonexistent-dir/flowsentry.db");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().to_string().find("/nonexistent-dir/flowsentry.db"), std::string::npos)
      << r.error().to_string();
}

TEST(SqliteStoreTest, StatusBeforeMigrationListsPendingMigrations) {
  StoreOptions o;
  o.url = (temp_dir() / "fresh.db").string();
  o.migrate = false;
  auto s = open_store(o);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto st = (*s)->migration_status();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  ASSERT_FALSE(st->empty());
  for (const auto& m : *st) EXPECT_FALSE(m.applied) << m.name;
  ASSERT_TRUE((*s)->migrate().ok());
  auto after = (*s)->migration_status();
  ASSERT_TRUE(after.ok());
  for (const auto& m : *after) EXPECT_TRUE(m.applied) << m.name;
}

}  // namespace flowsentry::store::testing
