// The store suite on a real PostgreSQL server (started by scripts/postgres for this test process),
// plus what only PostgreSQL has: daily partitions, the connection pool, reconnecting.
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common/testing/shell.h"

#include <array>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "store/maintenance.h"
#include "store/migrations.h"
#include "store/pg_pool.h"
#include "store/postgres_store.h"
#include "store/tests/store_suite.h"

namespace flowsentry::store::testing {
namespace {

constexpr double kT0 = 1772323200;  // 2026-03-01 00:00:00 UTC

struct Run {
  int code;
  std::string out;
};

Run sh(const std::string& cmd) {
  auto r = flowsentry::testing::shell_run(cmd, /*trim=*/true);
  return {r.code, r.out};
}

// One server per test process, in its own state directory.
class PostgresServer : public ::testing::Environment {
 public:
  static PostgresServer& get() {
    static auto* s = new PostgresServer;
    return *s;
  }
  void SetUp() override {
    std::random_device rd;
    dir_ = "/tmp/flowsentry-pg-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd());
    auto r = sh(script("start"));
    ASSERT_EQ(r.code, 0) << "scripts/postgres start failed: " << r.out;
    url_ = r.out.substr(r.out.rfind('\n') == std::string::npos ? 0 : r.out.rfind('\n') + 1);
    ASSERT_EQ(url_.rfind("postgresql://", 0), 0u) << r.out;
  }
  void TearDown() override { sh(script("stop")); }

  // Down for `down_s` seconds first when given (an outage).
  void restart(int down_s = 0) {
    auto r = sh(script("restart " + std::to_string(down_s)));
    ASSERT_EQ(r.code, 0) << r.out;
  }
  // A new empty database on the server.
  std::string fresh_url() {
    static std::atomic<int> n{0};
    std::string db = "t" + std::to_string(n++);
    PGconn* c = PQconnectdb(url_.c_str());
    EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
    PGresult* r = PQexec(c, ("CREATE DATABASE " + db).c_str());
    EXPECT_EQ(PQresultStatus(r), PGRES_COMMAND_OK) << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
    return url_.substr(0, url_.rfind('/') + 1) + db;
  }
  const std::string& url() const { return url_; }

 private:
  std::string script(const std::string& cmd) const {
    return "FLOWSENTRY_PG_DIR=" + dir_ + " " FLOWSENTRY_SOURCE_DIR "/scripts/postgres " + cmd +
           " 2>&1";
  }
  std::string dir_;
  std::string url_;
};

const auto* kServer = ::testing::AddGlobalTestEnvironment(&PostgresServer::get());

const bool kRegistered = [] {
  register_backend("postgres", [] { return PostgresServer::get().fresh_url(); });
  return true;
}();

std::unique_ptr<PostgresStore> open_pg(const std::string& url, int retention_days = 7,
                                       int pool_max = 8) {
  StoreOptions o;
  o.url = url;
  o.retention_days = retention_days;
  o.pool_max = pool_max;
  auto s = PostgresStore::open(o);
  EXPECT_TRUE(s.ok()) << (s.ok() ? "" : s.error().to_string());
  return s.ok() ? std::move(*s) : nullptr;
}

double now_seconds() {
  return static_cast<double>(std::time(nullptr));
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, ::testing::Values("postgres"));

TEST(PostgresStoreTest, PartitionsAreCreatedForEachDayWrittenAndAhead) {
  auto s = open_pg(PostgresServer::get().fresh_url());
  ASSERT_TRUE(s);
  const double midnight = kT0 + 86400;
  auto rows = make_flows(1000, midnight - 1800, 3600, 1);
  auto r = s->write(rows);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 1000);
  auto parts = s->partitions();
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  auto has = [&](double day) {
    return std::find(parts->begin(), parts->end(), static_cast<int64_t>(day)) != parts->end();
  };
  EXPECT_TRUE(has(kT0));
  EXPECT_TRUE(has(midnight));
  EXPECT_FALSE(has(midnight + 86400));
  const double today = std::floor(now_seconds() / 86400) * 86400;
  for (int i = 0; i <= 2; ++i) EXPECT_TRUE(has(today + i * 86400)) << "day +" << i;
}

TEST(PostgresStoreTest, MaintenanceCreatesPartitionsAheadOfItsClock) {
  auto s = open_pg(PostgresServer::get().fresh_url());
  ASSERT_TRUE(s);
  const double later = kT0 + 100 * 86400 + 7200;  // a day far from "now" and from the data
  MaintenanceOptions o;
  o.clock = [&] { return later; };
  Maintenance m(*s, o);
  ASSERT_TRUE(m.run_once().ok());
  auto parts = s->partitions();
  ASSERT_TRUE(parts.ok()) << parts.error().to_string();
  for (int i = 0; i <= 2; ++i) {
    const auto day = static_cast<int64_t>(std::floor(later / 86400) * 86400 + i * 86400);
    EXPECT_EQ(std::count(parts->begin(), parts->end(), day), 1) << "day +" << i;
  }
}

TEST(PostgresStoreTest, RetentionDropsWholeDailyPartitions) {
  auto s = open_pg(PostgresServer::get().fresh_url(), 2);
  ASSERT_TRUE(s);
  for (int d = 0; d < 5; ++d) {
    auto rows = make_flows(100, kT0 + d * 86400 + 60, 3600, 20 + d, "d", d * 1000);
    ASSERT_TRUE(s->write(rows).ok());
  }
  auto dropped = s->apply_retention(kT0 + 4 * 86400 + 3600);  // cutoff: start of day 2
  ASSERT_TRUE(dropped.ok()) << dropped.error().to_string();
  EXPECT_EQ(*dropped, 2);
  auto parts = s->partitions();
  ASSERT_TRUE(parts.ok());
  EXPECT_EQ(std::count(parts->begin(), parts->end(), static_cast<int64_t>(kT0)), 0);
  EXPECT_EQ(std::count(parts->begin(), parts->end(), static_cast<int64_t>(kT0 + 86400)), 0);
  EXPECT_EQ(std::count(parts->begin(), parts->end(), static_cast<int64_t>(kT0 + 2 * 86400)), 1);
  EXPECT_EQ(*s->count({kT0 - 86400, kT0 + 10 * 86400}), 300);
  // Writing into a dropped day again recreates its partition.
  auto old = make_flows(10, kT0 + 60, 60, 30, "late", 0);
  auto r = s->write(old);
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 10);
}

TEST(PostgresStoreTest, ReconnectsAfterTheServerRestarts) {
  auto s = open_pg(PostgresServer::get().fresh_url());
  ASSERT_TRUE(s);
  auto rows = make_flows(400, kT0, 3600, 2);
  ASSERT_EQ(*s->write(std::span(rows).subspan(0, 200)), 200);
  PostgresServer::get().restart();
  auto r = s->write(std::span(rows).subspan(100, 300));
  ASSERT_TRUE(r.ok()) << r.error().to_string();
  EXPECT_EQ(*r, 200);
  auto n = s->count({kT0, kT0 + 3600});
  ASSERT_TRUE(n.ok()) << n.error().to_string();
  EXPECT_EQ(*n, 400);
}

TEST(PostgresStoreTest, AnUnreachableServerIsUnavailableAfterRetries) {
  PgPool::Options o;
  o.url = "postgresql://flowsentry@127.0.0.1:1/flowsentry";
  o.connect_attempts = 2;
  o.first_backoff = std::chrono::milliseconds(10);
  auto p = PgPool::open(o);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(p.error().message.find("2 attempts"), std::string::npos) << p.error().to_string();
}

// An HTTP request that needs the store (/readyz, a dashboard query) must learn within seconds
// that PostgreSQL is down, not after minutes of retries: here nothing listens on the port.
TEST(PostgresStoreTest, AnUnreachableServerIsReportedWithinFiveSeconds) {
  PgPool::Options o;
  o.url = "postgresql://flowsentry@127.0.0.1:1/flowsentry";
  const auto t0 = std::chrono::steady_clock::now();
  auto p = PgPool::open(o);
  const auto took = std::chrono::steady_clock::now() - t0;
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().code, ErrorCode::kUnavailable);
  EXPECT_LE(took, std::chrono::seconds(5));
}

// The same for a store that was working: during an outage each query fails within 5 s, and
// the ones right after a failed connect fail at once instead of queueing behind more retries.
TEST(PostgresStoreTest, QueriesFailWithinFiveSecondsWhileTheServerIsDown) {
  const auto url = PostgresServer::get().fresh_url();
  auto s = open_pg(url);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->count({kT0, kT0 + 60}).ok());
  std::thread outage([] { PostgresServer::get().restart(12); });
  for (int i = 0; i < 200 && PQping(url.c_str()) == PQPING_OK; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE(PQping(url.c_str()), PQPING_OK) << "the server did not go down";
  const auto t0 = std::chrono::steady_clock::now();
  auto first = s->count({kT0, kT0 + 60});
  const auto t1 = std::chrono::steady_clock::now();
  auto second = s->score_series({kT0, kT0 + 60});
  const auto t2 = std::chrono::steady_clock::now();
  EXPECT_FALSE(first.ok());
  EXPECT_FALSE(second.ok());
  EXPECT_LE(t1 - t0, std::chrono::seconds(5));
  EXPECT_LE(t2 - t1, std::chrono::seconds(1));
  outage.join();
  auto back = s->count({kT0, kT0 + 60});  // recovers by itself once the server is back
  EXPECT_TRUE(back.ok()) << back.error().to_string();
}

TEST(PostgresStoreTest, ThePoolOpensAtMostPoolMaxConnections) {
  const auto url = PostgresServer::get().fresh_url();
  auto s = open_pg(url, 7, 2);
  ASSERT_TRUE(s);
  ASSERT_TRUE(s->write(make_flows(2000, kT0, 3600, 3)).ok());
  std::vector<std::thread> readers;
  std::atomic<int> failures{0};
  for (int i = 0; i < 6; ++i) {
    readers.emplace_back([&] {
      for (int k = 0; k < 10; ++k) {
        if (!s->score_series({kT0, kT0 + 3600}).ok()) ++failures;
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(failures.load(), 0);
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c,
                       "SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                       "'flowsentry' AND datname = current_database()");
  ASSERT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
  const int open = std::atoi(PQgetvalue(r, 0, 0));
  PQclear(r);
  PQfinish(c);
  EXPECT_GE(open, 1);
  EXPECT_LE(open, 2);
}

// Runs `sql` on `url`; the first column of the first row ("" when none).
std::string pg_exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  const auto status = PQresultStatus(r);
  EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK)
      << PQresultErrorMessage(r) << sql.substr(0, 200);
  std::string out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  PQfinish(c);
  return out;
}

TEST(PostgresStoreTest, Migration5AddsIdentityToAVersion4DatabaseKeepingItsFlows) {
  const auto url = PostgresServer::get().fresh_url();
  std::string sql =
      "CREATE TABLE schema_migrations (version bigint PRIMARY KEY, name text NOT NULL, "
      "applied_at double precision NOT NULL);";
  for (const auto& m : migrations_for("postgres")) {
    if (m.version > 4) break;
    sql += std::string(m.sql) + ";";
    sql += "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", '" +
           std::string(m.name) + "', 0);";
  }
  // A flow as the release before migration 005 wrote it, in its day's partition.
  sql +=
      "CREATE TABLE anomaly_scores_p20260301 PARTITION OF anomaly_scores FOR VALUES FROM "
      "(1772323200) TO (1772409600);"
      "INSERT INTO anomaly_scores (stime, source, source_partition, source_offset, score, label, "
      "attack_cat, proto, state, service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, "
      "tcprtt, synack, ackdat, ct_state_ttl, model_version) VALUES (1772323300, 'old.csv', 0, 1, "
      "0.9, 1, 'Exploits', 'tcp', 'FIN', '-', 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 'v1');";
  pg_exec(url, sql);
  auto s = open_pg(url);
  ASSERT_TRUE(s);
  auto status = s->migration_status();
  ASSERT_TRUE(status.ok());
  // 005 and every later one applied.
  EXPECT_EQ(status->back().name, migrations_for("postgres").back().name);
  for (const auto& m : *status) EXPECT_TRUE(m.applied) << m.name;
  model::ScoredFlow sf = make_flows(1, kT0, 60, 5, "pcap").front();
  sf.verdict.label = 1;
  sf.flow.srcip = "2001:db8::7";
  sf.flow.dstip = "10.1.2.3";
  sf.flow.sport = 443;
  sf.flow.dsport = 51000;
  sf.flow.ltime = *sf.flow.stime + 1;
  ASSERT_EQ(*s->write(std::span(&sf, 1)), 1);
  auto listed = s->recent_anomalies({kT0, kT0 + 3600}, 10);
  ASSERT_TRUE(listed.ok()) << listed.error().to_string();
  ASSERT_EQ(listed->size(), 2u);
  const bool old_first = listed->front().key.source == "old.csv";
  const auto& old_flow = old_first ? listed->front() : listed->back();
  const auto& new_flow = old_first ? listed->back() : listed->front();
  EXPECT_FALSE(old_flow.srcip);
  EXPECT_FALSE(old_flow.dsport);
  EXPECT_FALSE(old_flow.ltime);
  EXPECT_EQ(new_flow.srcip, "2001:db8::7");
  EXPECT_EQ(new_flow.dstip, "10.1.2.3");
  EXPECT_EQ(new_flow.sport, 443);
  EXPECT_DOUBLE_EQ(*new_flow.ltime, *sf.flow.stime + 1);
  s.reset();
  // inet, so the server's CIDR operators apply; the identity indexes reach every partition.
  EXPECT_EQ(pg_exec(url, "SELECT count(*) FROM anomaly_scores WHERE dstip <<= '10.0.0.0/8'"), "1");
  EXPECT_EQ(pg_exec(url,
                    "SELECT count(*) FROM pg_indexes WHERE tablename = 'anomaly_scores_p20260301' "
                    "AND indexname LIKE '%ip_stime%'"),
            "2");
}

}  // namespace flowsentry::store::testing

// Roles (deploy/postgres/roles.sql): the owner migrates and keeps partitions; a worker stores
// and reads flows but cannot change the schema.
namespace flowsentry::store::testing {
namespace {

std::string as_role(const std::string& url, const std::string& role) {
  const auto at = url.find('@');
  return "postgresql://" + role + url.substr(at);
}

// The SQLSTATE of `sql` run as the URL's role ("" when it succeeds).
std::string sqlstate_of(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  EXPECT_EQ(PQstatus(c), CONNECTION_OK) << PQerrorMessage(c);
  PGresult* r = PQexec(c, sql.c_str());
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  std::string out = state ? state : "";
  PQclear(r);
  PQfinish(c);
  return out;
}

// The first cell of `sql` run as the URL's role.
std::string value_of(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  EXPECT_EQ(PQresultStatus(r), PGRES_TUPLES_OK) << PQresultErrorMessage(r);
  std::string out = PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "";
  PQclear(r);
  PQfinish(c);
  return out;
}

class PostgresRolesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    admin_ = PostgresServer::get().fresh_url();
    auto r = sh("psql -X -q '" + admin_ + "' -v owner_password=owner-secret " +
                "-v worker_password=worker-secret -f " FLOWSENTRY_SOURCE_DIR
                "/deploy/postgres/roles.sql 2>&1");
    ASSERT_EQ(r.code, 0) << r.out;
    owner_ = open_pg(as_role(admin_, "flowsentry_owner"));
    ASSERT_TRUE(owner_);
    worker_url_ = as_role(admin_, "flowsentry_worker");
  }
  std::string admin_, worker_url_;
  std::unique_ptr<PostgresStore> owner_;
};

TEST_F(PostgresRolesTest, WorkerRoleStoresFlowsOnceInTheOwnersPartitions) {
  auto worker = open_pg(worker_url_);  // the schema is current: opening needs no DDL
  ASSERT_TRUE(worker);
  const double today = std::floor(now_seconds() / 86400) * 86400;
  auto flows = make_flows(500, today + 60, 3600, 7);
  for (size_t i = 0; i < flows.size(); ++i) {  // the host rollup is written too
    flows[i].flow.srcip = "10.0.0." + std::to_string(i % 50);
    flows[i].flow.dstip = "2001:db8::1";
  }
  auto first = worker->write(flows);
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  EXPECT_EQ(*first, 500);
  auto again = worker->write(flows);  // a replay: the temp staging path
  ASSERT_TRUE(again.ok()) << again.error().to_string();
  EXPECT_EQ(*again, 0);
  EXPECT_EQ(value_of(worker_url_, "SELECT count(*) FROM anomaly_scores"), "500");
  EXPECT_EQ(value_of(worker_url_, "SELECT sum(flows) FROM host_rollup_1h"), "1000");
}

TEST_F(PostgresRolesTest, WorkerRoleIsRefusedDdl) {
  for (const char* ddl : {"CREATE TABLE intruder (a int)", "DROP TABLE anomaly_scores",
                          "ALTER TABLE anomaly_scores ADD COLUMN z int", "TRUNCATE anomaly_scores",
                          "DELETE FROM alerts",
                          "CREATE TABLE anomaly_scores_p20300101 PARTITION OF anomaly_scores "
                          "FOR VALUES FROM (1893456000) TO (1893542400)"}) {
    EXPECT_EQ(sqlstate_of(worker_url_, ddl), "42501") << ddl;  // insufficient_privilege
  }
}

TEST_F(PostgresRolesTest, WorkerLeavesPartitionsAndRetentionToTheOwner) {
  auto worker = open_pg(worker_url_);
  ASSERT_TRUE(worker);
  // A day the owner has not prepared: refused as a server-side problem to retry, never as bad
  // rows (which would dead-letter good flows).
  auto past = worker->write(make_flows(10, kT0, 3600, 3));
  ASSERT_FALSE(past.ok());
  EXPECT_NE(past.error().code, ErrorCode::kValidation) << past.error().to_string();
  auto before = worker->partitions();
  ASSERT_TRUE(before.ok());
  auto dropped = worker->apply_retention(now_seconds() + 30 * 86400);
  ASSERT_TRUE(dropped.ok()) << dropped.error().to_string();
  EXPECT_EQ(*dropped, 0);
  EXPECT_EQ(worker->partitions()->size(), before->size());
  auto by_owner = owner_->apply_retention(now_seconds() + 30 * 86400);
  ASSERT_TRUE(by_owner.ok()) << by_owner.error().to_string();
  EXPECT_EQ(*by_owner, static_cast<int64_t>(before->size()));
}

}  // namespace
}  // namespace flowsentry::store::testing
