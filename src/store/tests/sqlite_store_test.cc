// The store suite on SQLite, plus what only SQLite has: file URLs and WAL mode.
#include <sqlite3.h>

#include <atomic>
#include <filesystem>

#include "store/migrations.h"
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

// Runs `sql` on the file at `path` through SQLite itself; the rows of the first column.
std::vector<std::string> sqlite_exec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  std::vector<std::string> rows;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto collect = [](void* out, int, char** values, char**) {
    static_cast<std::vector<std::string>*>(out)->push_back(values[0] ? values[0] : "");
    return 0;
  };
  char* err = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), collect, &rows, &err), SQLITE_OK) << (err ? err : "");
  sqlite3_free(err);
  sqlite3_close(db);
  return rows;
}

// A database as the release before migration 005 left it: migrations 1-4, SQLite's default
// 4 KiB pages.
void make_version_4_database(const std::string& path) {
  std::string sql =
      "PRAGMA journal_mode=WAL; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at REAL NOT NULL);";
  for (const auto& m : migrations_for("sqlite")) {
    if (m.version > 4) break;
    sql += std::string(m.sql) + ";";
    sql += "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", '" +
           std::string(m.name) + "', 0);";
  }
  sqlite_exec(path, sql);
}

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

TEST(SqliteStoreTest, ANewDatabaseHas64KiBPages) {
  auto path = (temp_dir() / "pages.db").string();
  ASSERT_TRUE(open_store(path).ok());
  EXPECT_EQ(sqlite_exec(path, "PRAGMA page_size"), std::vector<std::string>{"65536"});
}

// Migration 005 rebuilds the key index of a version-4 database: its flows stay, re-writing them
// stores nothing, and the file keeps its page size.
TEST(SqliteStoreTest, Migration5UpgradesAVersion4DatabaseKeepingItsFlowsAndKeys) {
  auto path = (temp_dir() / "v4.db").string();
  make_version_4_database(path);
  auto old_rows = make_flows(200, 1772323200, 3600, 21);
  {
    StoreOptions o;
    o.url = path;
    o.migrate = false;
    auto v4 = open_store(o);
    ASSERT_TRUE(v4.ok()) << v4.error().to_string();
    ASSERT_EQ(*(*v4)->write(old_rows), 200);
  }
  auto s = open_store(path);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto status = (*s)->migration_status();
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ(status->back().name, "005_key_integers_first");
  for (const auto& m : *status) EXPECT_TRUE(m.applied) << m.name;
  EXPECT_EQ(*(*s)->write(old_rows), 0);
  auto new_rows = make_flows(100, 1772323200, 3600, 22, "test", 200);
  EXPECT_EQ(*(*s)->write(new_rows), 100);
  EXPECT_EQ(*(*s)->count({1772323200, 1772323200 + 3600}), 300);
  s->reset();
  EXPECT_EQ(sqlite_exec(path, "SELECT name FROM pragma_index_info('anomaly_scores_key')"),
            (std::vector<std::string>{"source_offset", "source_partition", "source"}));
  EXPECT_EQ(sqlite_exec(path, "PRAGMA page_size"), std::vector<std::string>{"4096"});
}

}  // namespace flowsentry::store::testing
