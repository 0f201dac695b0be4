// The store suite on SQLite, plus what only SQLite has: file URLs and WAL mode.
#include <sqlite3.h>

#include <atomic>
#include <filesystem>

#include <fmt/format.h>

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

// A database as an older release left it: migrations 1..`version`, SQLite's default 4 KiB pages.
void make_database_at(const std::string& path, int64_t version) {
  std::string sql =
      "PRAGMA journal_mode=WAL; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
      "name TEXT NOT NULL, applied_at REAL NOT NULL);";
  for (const auto& m : migrations_for("sqlite")) {
    if (m.version > version) break;
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
  make_database_at(path, 4);
  auto old_rows = make_flows(200, 1772323200, 3600, 21);
  // Written as that release did (today's store writes columns version 4 does not have).
  std::string inserts = "BEGIN;";
  for (const auto& sf : old_rows) {
    inserts += fmt::format(
        "INSERT INTO anomaly_scores (stime, source, source_partition, source_offset, score, "
        "label, attack_cat, proto, state, service, sload, dload, spkts, dpkts, sjit, djit, sttl, "
        "dttl, dur, tcprtt, synack, ackdat, ct_state_ttl, model_version) VALUES ({}, '{}', {}, "
        "{}, {}, {}, 'Normal', 'tcp', 'FIN', '-', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'v');",
        *sf.flow.stime, sf.flow.key.source, sf.flow.key.partition, sf.flow.key.offset,
        sf.verdict.score, sf.verdict.label);
  }
  sqlite_exec(path, inserts + "COMMIT;");
  auto s = open_store(path);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto status = (*s)->migration_status();
  ASSERT_TRUE(status.ok()) << status.error().to_string();
  EXPECT_EQ(status->at(4).name, "005_key_integers_first");
  for (const auto& m : *status) EXPECT_TRUE(m.applied) << m.name;
  EXPECT_EQ(*(*s)->write(old_rows), 0);
  auto new_rows = make_flows(100, 1772323200, 3600, 22, "test", 200);
  EXPECT_EQ(*(*s)->write(new_rows), 100);
  s->reset();
  EXPECT_EQ(sqlite_exec(path, "SELECT count(*) FROM anomaly_scores"),
            std::vector<std::string>{"300"});
  EXPECT_EQ(sqlite_exec(path, "SELECT name FROM pragma_index_info('anomaly_scores_key')"),
            (std::vector<std::string>{"source_offset", "source_partition", "source"}));
  EXPECT_EQ(sqlite_exec(path, "PRAGMA page_size"), std::vector<std::string>{"4096"});
}

// One flow as the release before migration 006 wrote it (no identity columns).
constexpr const char* kVersion5Row =
    "INSERT INTO anomaly_scores (stime, source, source_partition, source_offset, score, label, "
    "attack_cat, proto, state, service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, "
    "tcprtt, synack, ackdat, ct_state_ttl, model_version) VALUES (1772323300, 'old.csv', 0, 1, "
    "0.9, 1, 'Exploits', 'tcp', 'FIN', '-', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 'v1')";

TEST(SqliteStoreTest, Migration6AddsIdentityToAVersion5DatabaseKeepingItsFlows) {
  auto path = (temp_dir() / "v5.db").string();
  make_database_at(path, 5);
  sqlite_exec(path, kVersion5Row);
  auto s = open_store(path);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto status = (*s)->migration_status();
  ASSERT_TRUE(status.ok());
  // 006 and every later one applied.
  EXPECT_EQ(status->back().name, migrations_for("sqlite").back().name);
  for (const auto& m : *status) EXPECT_TRUE(m.applied) << m.name;
  model::ScoredFlow sf = make_flows(1, 1772323200, 60, 5, "pcap").front();
  sf.verdict.label = 1;
  sf.flow.srcip = "2001:db8::7";
  sf.flow.dstip = "10.1.2.3";
  sf.flow.sport = 443;
  sf.flow.dsport = 51000;
  sf.flow.ltime = *sf.flow.stime + 1;
  ASSERT_EQ(*(*s)->write(std::span(&sf, 1)), 1);
  auto listed = (*s)->recent_anomalies({1772323200, 1772323200 + 3600}, 10);
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 2u);
  const auto& old_flow = listed->front().key.source == "old.csv" ? listed->front() : listed->back();
  const auto& new_flow = listed->front().key.source == "old.csv" ? listed->back() : listed->front();
  EXPECT_FALSE(old_flow.srcip);
  EXPECT_FALSE(old_flow.sport);
  EXPECT_FALSE(old_flow.ltime);
  EXPECT_EQ(new_flow.srcip, "2001:db8::7");
  EXPECT_EQ(new_flow.dstip, "10.1.2.3");
  EXPECT_EQ(new_flow.dsport, 51000);
  s->reset();
  // Addresses are 16-byte blobs, IPv4 mapped, so they sort in address order.
  EXPECT_EQ(sqlite_exec(path, "SELECT hex(dstip) FROM anomaly_scores WHERE dstip IS NOT NULL"),
            std::vector<std::string>{"00000000000000000000FFFF0A010203"});
  // "Flows of a host in a window" reads the (srcip, stime) index.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string plan;
  auto detail = [](void* out, int, char** values, char**) {
    *static_cast<std::string*>(out) += values[3] ? values[3] : "";
    return 0;
  };
  EXPECT_EQ(sqlite3_exec(db,
                         "EXPLAIN QUERY PLAN SELECT * FROM anomaly_scores WHERE srcip = "
                         "x'00000000000000000000ffff0a000001' AND stime >= 0",
                         detail, &plan, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  EXPECT_NE(plan.find("USING INDEX anomaly_scores_srcip_stime"), std::string::npos) << plan;
}

// Flows stored before the host rollup existed count in top hosts' whole hours after migrating.
TEST(SqliteStoreTest, Migration8FillsTheHostRollupFromStoredFlows) {
  auto path = (temp_dir() / "v7.db").string();
  make_database_at(path, 7);
  const std::string row =
      "INSERT INTO anomaly_scores (stime, source, source_partition, source_offset, score, label, "
      "attack_cat, proto, state, service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, "
      "dur, tcprtt, synack, ackdat, ct_state_ttl, model_version, srcip, dstip, sbytes, dbytes) "
      "VALUES (1772323300, 'old', 0, {}, {}, {}, 'Normal', 'tcp', 'FIN', '-', 0, 0, 0, 0, 0, 0, "
      "0, 0, 0, 0, 0, 0, 1, 'v1', x'00000000000000000000ffff0a000001', {}, 100, 20)";
  sqlite_exec(
      path, fmt::format(fmt::runtime(row), 1, 0.25, 0, "x'00000000000000000000ffff0a000002'") +
                ";" +
                fmt::format(fmt::runtime(row), 2, 0.75, 1, "x'20010db8000000000000000000000001'"));
  auto s = open_store(path);
  ASSERT_TRUE(s.ok()) << s.error().to_string();
  auto top = (*s)->top_hosts({1772323200, 1772323200 + 3600}, HostOrder::kFlows, HostRole::kAny, 5);
  ASSERT_TRUE(top.ok()) << top.error().to_string();
  ASSERT_EQ(top->size(), 3u);
  EXPECT_EQ(top->front().ip, "10.0.0.1");
  EXPECT_EQ(top->front().flows, 2);
  EXPECT_EQ(top->front().anomalies, 1);
  EXPECT_DOUBLE_EQ(top->front().bytes, 240);
  EXPECT_DOUBLE_EQ(top->front().max_score, 0.75);
}

}  // namespace flowsentry::store::testing
