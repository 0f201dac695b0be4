// store::Maintenance: retention and partitions-ahead on a schedule, with the clock and interval
// injected (SQLite store; the PostgreSQL partitions are covered in postgres_store_test).
#include "store/maintenance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include "store/tests/store_suite.h"

namespace flowsentry::store::testing {
namespace {

constexpr double kT0 = 1772323200;  // 2026-03-01 00:00:00 UTC
constexpr double kDay = 86400;

class MaintenanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flowsentry-maintenance-test-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    StoreOptions o;
    o.url = "sqlite:" + (dir_ / (std::string(info->name()) + ".db")).string();
    o.retention_days = 7;
    auto s = open_store(o);
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    store_ = std::move(*s);
    auto flows = make_flows(20, kT0, 600, 1);
    ASSERT_EQ(*store_->write(flows), 20);
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Waits (up to 10 s) until m has completed at least n runs.
  static bool wait_runs(const Maintenance& m, int64_t n) {
    for (int i = 0; i < 1000 && m.runs() < n; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return m.runs() >= n;
  }

  int64_t stored() { return *store_->count({kT0, kT0 + kDay}); }

  std::filesystem::path dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(MaintenanceTest, RunOnceAppliesRetentionAtTheInjectedTime) {
  MaintenanceOptions o;
  o.clock = [] { return kT0 + 3 * kDay; };  // within 7 days: nothing goes
  Maintenance m(*store_, o);
  ASSERT_TRUE(m.run_once().ok());
  EXPECT_EQ(stored(), 20);
  EXPECT_EQ(m.runs(), 1);
  EXPECT_EQ(m.failures(), 0);
}

TEST_F(MaintenanceTest, StartRunsRetentionRightAway) {
  MaintenanceOptions o;
  o.clock = [] { return kT0 + 10 * kDay; };  // the flows are older than 7 days
  o.interval = std::chrono::hours(1);
  Maintenance m(*store_, o);
  m.start();
  ASSERT_TRUE(wait_runs(m, 1));
  m.stop();
  EXPECT_EQ(stored(), 0);
}

TEST_F(MaintenanceTest, RunsAgainEveryInterval) {
  std::atomic<double> now{kT0 + kDay};
  MaintenanceOptions o;
  o.clock = [&] { return now.load(); };
  o.interval = std::chrono::milliseconds(10);
  Maintenance m(*store_, o);
  m.start();
  ASSERT_TRUE(wait_runs(m, 2));
  EXPECT_EQ(stored(), 20) << "not old enough yet";
  now = kT0 + 10 * kDay;  // time passes: a later run drops them
  const int64_t seen = m.runs();
  ASSERT_TRUE(wait_runs(m, seen + 2));
  m.stop();
  EXPECT_EQ(stored(), 0);
  EXPECT_EQ(m.failures(), 0);
}

TEST_F(MaintenanceTest, StopDoesNotWaitForTheInterval) {
  MaintenanceOptions o;
  o.clock = [] { return kT0; };
  o.interval = std::chrono::hours(1);
  Maintenance m(*store_, o);
  m.start();
  ASSERT_TRUE(wait_runs(m, 1));
  const auto t0 = std::chrono::steady_clock::now();
  m.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
  EXPECT_EQ(m.runs(), 1);
  m.stop();  // twice is fine
}

TEST_F(MaintenanceTest, DestroyingARunningMaintenanceStopsIt) {
  MaintenanceOptions o;
  o.clock = [] { return kT0; };
  o.interval = std::chrono::milliseconds(5);
  {
    Maintenance m(*store_, o);
    m.start();
    ASSERT_TRUE(wait_runs(m, 1));
  }
  SUCCEED();
}

}  // namespace
}  // namespace flowsentry::store::testing
