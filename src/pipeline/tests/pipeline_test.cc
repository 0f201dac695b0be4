#include "pipeline/pipeline.h"

#include <atomic>
#include <cmath>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/clock.h"
#include "detect/dispatcher.h"
#include "pipeline/detection.h"
#include "pipeline/probe.h"
#include "pipeline/testing/tiny_model.h"

namespace flowsentry::pipeline {
namespace {

// A model trained once on generated traffic: small and quick, enough to score flows.
class PipelineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    scorer_ = testing::train_tiny_scorer().release();
    ASSERT_NE(scorer_, nullptr);
  }
  static void TearDownTestSuite() { delete scorer_; }

  void SetUp() override {
    db_ = std::make_unique<testing::TempDb>(
        std::string("pipeline_") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    auto s = store::open_store(db_->path());
    ASSERT_TRUE(s.ok()) << s.error().to_string();
    store_ = std::move(s.value());
  }
  void TearDown() override { store_.reset(); }

  static stream::GeneratorSourceOptions generated(uint64_t count) {
    stream::GeneratorSourceOptions o;
    o.generator.seed = 11;
    o.generator.scenario = stream::Scenario::kAttack;
    o.generator.burst_every = 1000;
    o.generator.burst_len = 50;
    o.count = count;
    return o;
  }

  int64_t stored_rows() {
    store::Query q;
    q.from = 0;
    q.to = 4e9;
    auto n = store_->count(q);
    EXPECT_TRUE(n.ok());
    return n.ok() ? *n : -1;
  }

  static inline model::Scorer* scorer_ = nullptr;
  std::unique_ptr<testing::TempDb> db_;
  std::unique_ptr<store::Store> store_;
};

// A store that fails its first `failures` writes, as a database that is down would.
class FlakyStore : public store::Store {
 public:
  FlakyStore(store::Store& inner, int failures) : inner_(inner), failures_(failures) {}
  std::string_view backend() const override { return "flaky"; }
  Result<int64_t> write(std::span<const model::ScoredFlow> batch) override {
    if (failures_ > 0) {
      --failures_;
      return make_error(ErrorCode::kUnavailable, "database is down");
    }
    return inner_.write(batch);
  }
  Status record_alert(const store::StoredAlert& a) override { return inner_.record_alert(a); }
  Status acknowledge_alert(std::string_view id, bool a) override {
    return inner_.acknowledge_alert(id, a);
  }
  Status snooze_alert(std::string_view id, std::optional<double> u) override {
    return inner_.snooze_alert(id, u);
  }
  Result<std::vector<store::StoredAlert>> list_alerts(double f, double t, int l) override {
    return inner_.list_alerts(f, t, l);
  }
  Status record_drift(const store::DriftEvent& e) override { return inner_.record_drift(e); }
  Result<std::vector<store::DriftEvent>> list_drift(double f, double t, int l) override {
    return inner_.list_drift(f, t, l);
  }
  Result<store::ScoreSeries> score_series(const store::Query& q) override {
    return inner_.score_series(q);
  }
  Result<store::KpiSeries> kpi_series(const store::Query& q) override {
    return inner_.kpi_series(q);
  }
  Result<store::Mix> mix(const store::Query& q, store::MixColumn c, int k) override {
    return inner_.mix(q, c, k);
  }
  Result<std::vector<store::CtStateTtlCell>> ct_state_ttl_counts(const store::Query& q) override {
    return inner_.ct_state_ttl_counts(q);
  }
  Result<std::vector<store::StoredFlow>> recent_anomalies(const store::Query& q, int l) override {
    return inner_.recent_anomalies(q, l);
  }
  Result<std::vector<store::StoredFlow>> top_scores(const store::Query& q, int l) override {
    return inner_.top_scores(q, l);
  }
  Result<int64_t> count(const store::Query& q) override { return inner_.count(q); }
  Result<store::FlowPage> list_flows(const store::Query& q, const store::FlowFilter& f,
                                     const std::optional<store::FlowCursor>& a, int l) override {
    return inner_.list_flows(q, f, a, l);
  }
  Result<std::optional<store::StoredFlow>> find_flow(const store::FlowCursor& id) override {
    return inner_.find_flow(id);
  }
  Result<std::vector<store::HostStat>> top_hosts(const store::Query& q, store::HostOrder b,
                                                 store::HostRole r, int l) override {
    return inner_.top_hosts(q, b, r, l);
  }
  Result<store::HostDetail> host_detail(const store::Query& q, const flow::AddressBytes& ip,
                                        int l) override {
    return inner_.host_detail(q, ip, l);
  }
  Result<std::vector<store::StoredAlert>> alerts_naming(double f, double t, std::string_view ip,
                                                        int l) override {
    return inner_.alerts_naming(f, t, ip, l);
  }
  Result<std::vector<store::ScoreSample>> score_samples(const store::Query& q, int l) override {
    return inner_.score_samples(q, l);
  }
  Result<int64_t> apply_retention(double now) override { return inner_.apply_retention(now); }
  Status migrate() override { return inner_.migrate(); }
  Result<std::vector<store::MigrationState>> migration_status() override {
    return inner_.migration_status();
  }

 private:
  store::Store& inner_;
  int failures_;
};

// A source whose records were "sent" a fixed time ago, as a Kafka producer's header says.
class SentAgoSource : public stream::Source {
 public:
  SentAgoSource(stream::GeneratorSourceOptions o, double ago) : inner_(o), ago_(ago) {}
  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override {
    auto n = inner_.next_batch(out, max, wait);
    auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    sent_.assign(n.ok() ? *n : 0, now_ms - static_cast<int64_t>(ago_ * 1000));
    return n;
  }
  bool at_end() const override { return inner_.at_end(); }
  void take_rejected(std::vector<stream::Rejected>& out) override { inner_.take_rejected(out); }
  std::string describe() const override { return "sent-ago"; }
  std::span<const int64_t> sent_ms() const override { return sent_; }

 private:
  stream::GeneratorSource inner_;
  double ago_;
  std::vector<int64_t> sent_;
};

TEST_F(PipelineTest, EndToEndLatencyRunsFromTheProducersSendTimeForEveryFlow) {
  SentAgoSource source(generated(1200), 2.0);
  auto& histogram = Probe::get().end_to_end_seconds;
  auto count_before = histogram.count();
  auto sum_before = histogram.sum();
  PipelineOptions opts;
  opts.batch_size = 500;
  Pipeline p(source, *scorer_, *store_, opts);
  ASSERT_TRUE(p.run().ok());
  EXPECT_EQ(histogram.count() - count_before, 1200u);  // one observation per flow
  double mean = (histogram.sum() - sum_before) / 1200;
  EXPECT_GE(mean, 2.0);  // sent 2 s before it was read, so at least 2 s
  EXPECT_LT(mean, 30.0);
}

TEST_F(PipelineTest, EveryFlowOfAFiniteSourceIsScoredAndStoredOnce) {
  stream::GeneratorSource source(generated(5000));
  PipelineOptions opts;
  opts.batch_size = 700;
  Pipeline p(source, *scorer_, *store_, opts);
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  auto s = p.stats();
  EXPECT_EQ(s.received, 5000u);
  EXPECT_EQ(s.scored, 5000u);
  EXPECT_EQ(s.stored, 5000u);
  EXPECT_EQ(stored_rows(), 5000);
  EXPECT_GT(s.anomalies, 0u);  // the generated bursts are attacks
  EXPECT_LT(s.anomalies, 5000u);
}

TEST_F(PipelineTest, InlineModeStoresEverythingAndCommitsOnTheReadingThread) {
  stream::GeneratorSource source(generated(2500));
  PipelineOptions opts;
  opts.batch_size = 600;
  opts.inline_reader = true;
  Pipeline p(source, *scorer_, *store_, opts);
  auto reader_thread = std::this_thread::get_id();
  int64_t committed = 0;
  p.set_commit([&](std::span<const model::ScoredFlow> b, auto) {
    EXPECT_EQ(std::this_thread::get_id(), reader_thread);
    committed += static_cast<int64_t>(b.size());
    // Never ahead of the store; the writer may already have stored the next batch.
    EXPECT_GE(stored_rows(), committed);
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(committed, 2500);
  EXPECT_EQ(stored_rows(), 2500);
}

// A source around the generator that runs a hook before each read and can reject records.
class HookedSource : public stream::Source {
 public:
  HookedSource(stream::GeneratorSourceOptions o, std::function<void(int)> before_read)
      : inner_(o), before_read_(std::move(before_read)) {}
  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override {
    before_read_(++reads_);
    if (reject_next_ > 0) {  // a read that only brings malformed records
      for (; reject_next_ > 0; --reject_next_) {
        rejected_.push_back({flow::RecordKey{"bad", 0, rejected_offset_++}, "{", {}});
      }
      return size_t{0};
    }
    return inner_.next_batch(out, max, wait);
  }
  bool at_end() const override { return inner_.at_end(); }
  void take_rejected(std::vector<stream::Rejected>& out) override {
    for (auto& r : rejected_) out.push_back(std::move(r));
    rejected_.clear();
  }
  std::string describe() const override { return "hooked"; }
  // With on_commit_ set, the source takes commits (as Kafka does) and reports each.
  bool commits() const override { return static_cast<bool>(on_commit_); }
  Status commit(std::span<const flow::RecordKey> stored,
                std::span<const flow::RecordKey> rejected) override {
    on_commit_(stored, rejected);
    return {};
  }
  int reject_next_ = 0;
  std::function<void(std::span<const flow::RecordKey>, std::span<const flow::RecordKey>)>
      on_commit_;

 private:
  stream::GeneratorSource inner_;
  std::function<void(int)> before_read_;
  std::vector<stream::Rejected> rejected_;
  int reads_ = 0;
  int64_t rejected_offset_ = 0;
};

// A store whose write of batch k (from 0) waits until `open(k)`: a pipeline that reads the
// next batch only after storing the last one would wait here until the test fails.
class GatedStore : public FlakyStore {
 public:
  GatedStore(store::Store& inner, std::function<bool(int)> open)
      : FlakyStore(inner, 0), open_(std::move(open)) {}
  Result<int64_t> write(std::span<const model::ScoredFlow> batch) override {
    const int k = writes_++;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!open_(k)) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "batch " << k << " was stored before the next one was read";
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return FlakyStore::write(batch);
  }

 private:
  std::function<bool(int)> open_;
  std::atomic<int> writes_{0};
};

TEST_F(PipelineTest, InlineModeReadsWhileEarlierBatchesAreInFlight) {
  std::atomic<int> reads{0};
  int64_t committed = 0;
  std::vector<int64_t> committed_at_read;
  HookedSource source(generated(3000), [&](int read) {
    committed_at_read.push_back(committed);
    reads = read;
  });
  // Batch k is stored only once the read of batch k + 1 has begun (or the source ended).
  GatedStore gated(*store_, [&](int k) { return reads.load() >= k + 2 || source.at_end(); });
  PipelineOptions opts;
  opts.batch_size = 500;
  opts.inline_reader = true;
  Pipeline p(source, *scorer_, gated, opts);
  p.set_commit([&](std::span<const model::ScoredFlow> b, auto) {
    committed += static_cast<int64_t>(b.size());
    EXPECT_GE(stored_rows(), committed);
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(committed, 3000);
  EXPECT_EQ(stored_rows(), 3000);
  // At most two batches are in flight while a third is read.
  for (size_t read = 0; read < committed_at_read.size(); ++read) {
    EXPECT_GE(committed_at_read[read], static_cast<int64_t>(read < 2 ? 0 : read - 2) * 500);
  }
}

TEST_F(PipelineTest, FinishInFlightStoresAndCommitsBeforeARebalanceReturns) {
  Pipeline* pipe = nullptr;
  int64_t committed = 0;
  int64_t received_at_rebalance = -1;
  HookedSource source(generated(2000), [&](int read) {
    if (read != 3) return;  // a rebalance inside the third poll
    ASSERT_TRUE(pipe->finish_in_flight().ok());
    received_at_rebalance = static_cast<int64_t>(pipe->stats().received);
    EXPECT_EQ(committed, received_at_rebalance);  // nothing read is left uncommitted
    EXPECT_EQ(stored_rows(), received_at_rebalance);
  });
  PipelineOptions opts;
  opts.batch_size = 400;
  opts.inline_reader = true;
  Pipeline p(source, *scorer_, *store_, opts);
  pipe = &p;
  p.set_commit([&](std::span<const model::ScoredFlow> b, auto) {
    committed += static_cast<int64_t>(b.size());
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(received_at_rebalance, 800);
  EXPECT_EQ(committed, 2000);
  EXPECT_EQ(stored_rows(), 2000);
}

// The source is told what to commit only once the store holds it, batch after batch in read
// order, with the keys of the records rejected in between; in both threading modes.
TEST_F(PipelineTest, TheSourceCommitsOnlyStoredRecordsInReadOrder) {
  for (bool inline_reader : {true, false}) {
    SCOPED_TRACE(inline_reader ? "inline" : "threaded");
    store_.reset();
    db_ = std::make_unique<testing::TempDb>(std::string("pipeline_commit_") +
                                            (inline_reader ? "inline" : "threaded"));
    store_ = std::move(store::open_store(db_->path()).value());
    HookedSource* src = nullptr;
    HookedSource source(generated(3000), [&](int read) {
      if (read == 3) src->reject_next_ = 2;
    });
    src = &source;
    int64_t committed = 0, rejected = 0, last_offset = -1;
    source.on_commit_ = [&](std::span<const flow::RecordKey> stored,
                            std::span<const flow::RecordKey> bad) {
      for (const auto& k : stored) {
        EXPECT_GT(k.offset, last_offset) << "committed out of read order";
        last_offset = k.offset;
      }
      committed += static_cast<int64_t>(stored.size());
      rejected += static_cast<int64_t>(bad.size());
      EXPECT_GE(stored_rows(), committed) << "committed before it was stored";
    };
    PipelineOptions opts;
    opts.batch_size = 250;
    opts.inline_reader = inline_reader;
    Pipeline p(source, *scorer_, *store_, opts);
    p.set_dead_letter([](std::vector<stream::Rejected>&) {});
    auto st = p.run();
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_EQ(committed, 3000);
    EXPECT_EQ(rejected, 2);
  }
}

TEST_F(PipelineTest, AClosedCommitGateKeepsTheBatchUncommitted) {
  HookedSource source(generated(1000), [](int) {});
  int64_t committed = 0;
  source.on_commit_ = [&](std::span<const flow::RecordKey> stored, auto) {
    committed += static_cast<int64_t>(stored.size());
  };
  PipelineOptions opts;
  opts.batch_size = 250;
  opts.inline_reader = true;
  Pipeline p(source, *scorer_, *store_, opts);
  int asked = 0;
  p.set_commit_gate([&]() -> Status {
    if (++asked == 2) return make_error(ErrorCode::kUnavailable, "anomaly not acknowledged");
    return {};
  });
  int64_t hooked = 0;
  p.set_commit([&](std::span<const model::ScoredFlow> b, auto) {
    hooked += static_cast<int64_t>(b.size());
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(stored_rows(), 1000);
  EXPECT_EQ(committed, 750);  // the second batch stays uncommitted: read again after a restart
  EXPECT_EQ(hooked, 750);
}

TEST_F(PipelineTest, InlineModeCommitsPastRecordsThatWereAllRejected) {
  std::vector<flow::RecordKey> committed_rejected;
  HookedSource* src = nullptr;
  HookedSource source(generated(1000), [&](int read) {
    if (read == 2) src->reject_next_ = 3;
  });
  src = &source;
  PipelineOptions opts;
  opts.batch_size = 500;
  opts.inline_reader = true;
  Pipeline p(source, *scorer_, *store_, opts);
  std::vector<std::string> dead;
  p.set_dead_letter([&](std::vector<stream::Rejected>& r) {
    for (auto& x : r) dead.push_back(x.key.source);
  });
  int64_t committed = 0;
  p.set_commit([&](std::span<const model::ScoredFlow> b, std::span<const flow::RecordKey> r) {
    committed += static_cast<int64_t>(b.size());
    committed_rejected.insert(committed_rejected.end(), r.begin(), r.end());
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(committed, 1000);
  EXPECT_EQ(dead.size(), 3u);
  ASSERT_EQ(committed_rejected.size(), 3u);
  EXPECT_EQ(committed_rejected[2].offset, 2);
  EXPECT_EQ(p.stats().rejected, 3u);
}

TEST_F(PipelineTest, ReplayingTheSameFlowsStoresNothingNew) {
  for (int run = 0; run < 2; ++run) {
    stream::GeneratorSource source(generated(1200));
    Pipeline p(source, *scorer_, *store_);
    auto st = p.run();
    ASSERT_TRUE(st.ok()) << st.error().to_string();
    EXPECT_EQ(p.stats().stored, run == 0 ? 1200u : 0u);
  }
  EXPECT_EQ(stored_rows(), 1200);
}

TEST_F(PipelineTest, ObserversAndCommitSeeABatchOnlyAfterItIsStored) {
  stream::GeneratorSource source(generated(3000));
  PipelineOptions opts;
  opts.batch_size = 500;
  Pipeline p(source, *scorer_, *store_, opts);
  int64_t committed = 0;
  std::vector<std::string> order;
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    order.push_back("observe");
    EXPECT_GE(stored_rows(), committed + static_cast<int64_t>(b.size()));
  });
  p.set_commit([&](std::span<const model::ScoredFlow> b, auto) {
    order.push_back("commit");
    committed += static_cast<int64_t>(b.size());
    EXPECT_EQ(stored_rows(), committed);  // durable before the position moves
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(committed, 3000);
  ASSERT_EQ(order.size(), 12u);
  EXPECT_EQ(order[0], "observe");
  EXPECT_EQ(order[1], "commit");
}

TEST_F(PipelineTest, AStoreOutageHoldsBackAndLosesNothing) {
  FlakyStore flaky(*store_, 4);
  stream::GeneratorSource source(generated(2000));
  PipelineOptions opts;
  opts.batch_size = 500;
  opts.queue_batches = 1;
  opts.retry_initial = std::chrono::milliseconds(5);
  Pipeline p(source, *scorer_, flaky, opts);
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(p.stats().store_errors, 4u);
  EXPECT_EQ(stored_rows(), 2000);
}

// A store that refuses, for their data, every batch holding one of the `poison` offsets, as
// PostgreSQL does for a row with no partition or a value out of its column's range.
class PipelineAdversarialTest : public PipelineTest {};

class PoisonStore : public FlakyStore {
 public:
  PoisonStore(store::Store& inner, std::set<int64_t> poison)
      : FlakyStore(inner, 0), poison_(std::move(poison)) {}
  Result<int64_t> write(std::span<const model::ScoredFlow> batch) override {
    ++writes_;
    for (const auto& f : batch) {
      if (poison_.count(f.flow.key.offset)) {
        return make_error(ErrorCode::kValidation, "no partition of relation for row");
      }
    }
    return FlakyStore::write(batch);
  }
  int writes_ = 0;

 private:
  std::set<int64_t> poison_;
};

TEST_F(PipelineAdversarialTest, RecordsTheStoreRefusesAreDeadLetteredAndTheRestStored) {
  PoisonStore poison(*store_, {7, 333, 334, 999});
  stream::GeneratorSource source(generated(1000));
  PipelineOptions opts;
  opts.batch_size = 500;
  opts.inline_reader = true;
  Pipeline p(source, *scorer_, poison, opts);
  std::vector<stream::Rejected> dead;
  p.set_dead_letter(
      [&](std::vector<stream::Rejected>& r) { dead.insert(dead.end(), r.begin(), r.end()); });
  int64_t committed = 0;
  std::set<int64_t> committed_rejected;
  p.set_commit([&](std::span<const model::ScoredFlow> b, std::span<const flow::RecordKey> r) {
    committed += static_cast<int64_t>(b.size());
    for (const auto& k : r) committed_rejected.insert(k.offset);
  });
  int64_t observed = 0;
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    for (const auto& f : b) {
      EXPECT_FALSE(f.flow.key.offset == 7 || f.flow.key.offset == 999);
      ++observed;
    }
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(stored_rows(), 996);
  EXPECT_EQ(committed, 996);
  EXPECT_EQ(observed, 996);
  EXPECT_EQ(committed_rejected, (std::set<int64_t>{7, 333, 334, 999}));
  ASSERT_EQ(dead.size(), 4u);
  for (const auto& d : dead) {
    EXPECT_EQ(d.problem.reason, "store_rejected");
    EXPECT_NE(d.problem.problem.find("no partition"), std::string::npos);
    EXPECT_NE(d.bytes.find("\"proto\""), std::string::npos);  // the flow, as JSON
  }
  EXPECT_EQ(p.stats().rejected, 4u);
  // Bisection, not one write per record: ~2·log2(500) writes per poisoned batch.
  EXPECT_LT(poison.writes_, 80);
}

TEST_F(PipelineTest, AnOutageIsRetriedNotDeadLettered) {
  FlakyStore flaky(*store_, 3);  // kUnavailable, the server's fault
  stream::GeneratorSource source(generated(600));
  PipelineOptions opts;
  opts.batch_size = 600;
  opts.retry_initial = std::chrono::milliseconds(5);
  Pipeline p(source, *scorer_, flaky, opts);
  size_t dead = 0;
  p.set_dead_letter([&](std::vector<stream::Rejected>& r) { dead += r.size(); });
  ASSERT_TRUE(p.run().ok());
  EXPECT_EQ(dead, 0u);
  EXPECT_EQ(stored_rows(), 600);
}

// A store whose alert and drift writes hang until released, as a database that is down does.
class HangingAlertStore : public FlakyStore {
 public:
  HangingAlertStore(store::Store& inner, std::shared_future<void> gate)
      : FlakyStore(inner, 0), gate_(std::move(gate)) {}
  Status record_alert(const store::StoredAlert& a) override {
    gate_.wait();
    return FlakyStore::record_alert(a);
  }
  Status record_drift(const store::DriftEvent& e) override {
    gate_.wait();
    return FlakyStore::record_drift(e);
  }

 private:
  std::shared_future<void> gate_;
};

class CountingNotifier final : public detect::Notifier {
 public:
  const std::string& name() const override { return name_; }
  detect::SendResult send(const detect::Alert&) override {
    ++sent;
    return {true, false, 200, {}};
  }
  std::atomic<int> sent{0};

 private:
  std::string name_ = "counting";
};

TEST_F(PipelineAdversarialTest, AlertsAreDeliveredWhileTheStoreHangs) {
  std::promise<void> release;
  HangingAlertStore hanging(*store_, release.get_future().share());
  auto notifier = std::make_unique<CountingNotifier>();
  auto* counting = notifier.get();
  std::vector<std::unique_ptr<detect::Notifier>> notifiers;
  notifiers.push_back(std::move(notifier));
  detect::DispatcherOptions dispatch;
  dispatch.rate_per_min = 0;
  detect::Dispatcher dispatcher(dispatch, std::move(notifiers));
  DetectionOptions options;
  options.drift = false;
  DetectionStage stage(options, {}, dispatcher, &hanging);
  // Two bursts of ten anomalies, in two contexts: two alerts.
  std::vector<model::ScoredFlow> batch;
  for (const char* proto : {"tcp", "udp"}) {
    for (int i = 0; i < 10; ++i) {
      model::ScoredFlow f;
      f.flow.stime = wall_seconds() - 30 + i;
      f.flow.proto = proto;
      f.flow.state = "INT";
      f.verdict.label = 1;
      f.verdict.score = 0.99;
      batch.push_back(f);
    }
  }
  auto observed = std::async(std::launch::async, [&] { stage.observe(batch); });
  EXPECT_EQ(observed.wait_for(std::chrono::seconds(5)), std::future_status::ready)
      << "the detectors waited for the store";
  auto end = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (counting->sent < 1 && std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_GE(counting->sent.load(), 1) << "delivery waited for the store";
  release.set_value();
  observed.wait();
  ASSERT_TRUE(dispatcher.flush(std::chrono::seconds(5)));
}

// A SYN scan the model calls normal: the behaviour detectors see every flow and their alert goes
// through the dispatcher (cooldown included) to the notifier and, with its kind, to the store.
TEST_F(PipelineTest, BehaviourAlertsGoThroughTheDispatcherAndTheStoreWithTheirKind) {
  auto notifier = std::make_unique<CountingNotifier>();
  auto* counting = notifier.get();
  std::vector<std::unique_ptr<detect::Notifier>> notifiers;
  notifiers.push_back(std::move(notifier));
  detect::DispatcherOptions dispatch;
  dispatch.rate_per_min = 0;
  detect::Dispatcher dispatcher(dispatch, std::move(notifiers));
  DetectionOptions options;
  options.drift = false;
  DetectionStage stage(options, {}, dispatcher, store_.get());
  const double t0 = wall_seconds() - 600;
  // The second scan is in a new scan window (300 s later) but within the dispatcher's cooldown.
  for (int round = 0; round < 2; ++round) {
    std::vector<model::ScoredFlow> batch(40);
    for (int p = 0; p < 40; ++p) {
      auto& f = batch[p].flow;
      f.stime = t0 + round * 400 + p * 0.01;
      f.srcip = "10.0.0.66";
      f.sport = 61000;
      f.dstip = round == 0 ? "10.0.0.2" : "10.0.0.3";
      f.dsport = 1 + p;
      f.proto = "tcp";
      f.state = "REQ";
      f[flow::kSpkts] = 1;
    }
    stage.observe(batch);
  }
  ASSERT_TRUE(dispatcher.flush(std::chrono::seconds(5)));
  EXPECT_EQ(counting->sent.load(), 1);
  EXPECT_EQ(dispatcher.stats().suppressed, 1u);
  EXPECT_EQ(stage.status()["alerts"], 2);
  std::vector<store::StoredAlert> stored;
  for (int i = 0; i < 500 && stored.empty(); ++i) {  // the recorder writes on its own thread
    if (auto r = store_->list_alerts(t0 - 60, t0 + 3600, 10); r.ok()) stored = *r;
    if (stored.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].type, "behaviour");
  EXPECT_EQ(stored[0].key, "behaviour:port_scan:10.0.0.66");
  auto payload = nlohmann::json::parse(stored[0].payload_json);
  EXPECT_EQ(payload["kind"], "port_scan");
  EXPECT_EQ(payload["hosts"]["src"], "10.0.0.66");
}

TEST_F(PipelineTest, VerdictsCarryTheModelAndExplanationsForAnomaliesOnly) {
  stream::GeneratorSource source(generated(2000));
  PipelineOptions opts;
  opts.explain_per_second = 1e9;  // no budget: every anomaly
  Pipeline p(source, *scorer_, *store_, opts);
  size_t explained = 0, anomalies = 0;
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    for (const auto& f : b) {
      EXPECT_EQ(f.verdict.model_version, scorer_->model_version());
      EXPECT_TRUE(f.flow.stime.has_value());  // stamped when missing
      anomalies += f.verdict.label;
      if (!f.verdict.top_features.empty()) {
        ++explained;
        EXPECT_EQ(f.verdict.label, 1);
        EXPECT_EQ(f.verdict.top_features.size(), 3u);
      }
    }
  });
  auto st = p.run();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_GT(anomalies, 0u);
  EXPECT_EQ(explained, anomalies);
}

TEST_F(PipelineTest, ExplainsWithinTheBudgetTheHighestScoresOfABatchFirst) {
  stream::GeneratorSource source(generated(3000));
  PipelineOptions opts;
  opts.batch_size = 500;
  opts.explain_per_second = 4;
  Pipeline p(source, *scorer_, *store_, opts);
  size_t busiest = 0, explained_total = 0, batches = 0;
  // Per 10 s bucket of event time: the highest anomaly score, and the highest explained one.
  std::map<int64_t, std::pair<double, double>> buckets;
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    for (const auto& f : b) {
      if (f.verdict.label != 1) continue;
      auto& [top, explained] = buckets[static_cast<int64_t>(std::floor(*f.flow.stime / 10))];
      top = std::max(top, f.verdict.score);
      if (!f.verdict.top_features.empty()) explained = std::max(explained, f.verdict.score);
    }
  });
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    double lowest_explained = 2, highest_explained = -1, highest_unexplained = -1, top = -1;
    size_t anomalies = 0;
    ++batches;
    for (const auto& f : b) {
      anomalies += f.verdict.label;
      if (!f.verdict.top_features.empty()) {
        ++explained_total;
        lowest_explained = std::min(lowest_explained, f.verdict.score);
        highest_explained = std::max(highest_explained, f.verdict.score);
      } else if (f.verdict.label == 1) {
        highest_unexplained = std::max(highest_unexplained, f.verdict.score);
      }
      if (f.verdict.label == 1) top = std::max(top, f.verdict.score);
    }
    EXPECT_LE(highest_unexplained, lowest_explained) << "a lower score was explained first";
    busiest = std::max(busiest, anomalies);
  });
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(p.run().ok());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GT(busiest, 4u) << "no batch had more anomalies than the budget; the test proves nothing";
  EXPECT_GT(explained_total, 0u);
  // The budget, plus at most one per batch and bucket that found it empty.
  EXPECT_LE(explained_total, 4 + static_cast<size_t>(std::ceil(4 * seconds)) + batches);
  ASSERT_FALSE(buckets.empty());
  for (const auto& [bucket, scores] : buckets) {
    EXPECT_EQ(scores.second, scores.first) << "bucket " << bucket << "'s top anomaly is explained";
  }
}

TEST_F(PipelineTest, WithoutBudgetEveryTenSecondsStillExplainsItsTopAnomaly) {
  auto o = generated(3000);
  o.generator.time_step = 0.01;  // 30 s of event time: a few buckets
  o.generator.burst_every = 500;
  o.generator.burst_len = 100;
  stream::GeneratorSource source(o);
  PipelineOptions opts;
  opts.batch_size = 50;            // each burst spans two batches
  opts.explain_per_second = 1e-6;  // the bucket never holds a whole token
  Pipeline p(source, *scorer_, *store_, opts);
  std::map<int64_t, std::pair<double, double>> buckets;
  size_t explained = 0, batches_with_anomalies = 0;
  p.add_observer([&](std::span<const model::ScoredFlow> b) {
    bool any = false;
    for (const auto& f : b) {
      if (f.verdict.label != 1) continue;
      any = true;
      auto& [top, best] = buckets[static_cast<int64_t>(std::floor(*f.flow.stime / 10))];
      top = std::max(top, f.verdict.score);
      if (!f.verdict.top_features.empty()) {
        ++explained;
        best = std::max(best, f.verdict.score);
      }
    }
    batches_with_anomalies += any;
  });
  ASSERT_TRUE(p.run().ok());
  ASSERT_FALSE(buckets.empty());
  for (const auto& [bucket, scores] : buckets) {
    EXPECT_EQ(scores.second, scores.first) << "bucket " << bucket << "'s top anomaly is explained";
  }
  std::cout << explained << " explained, " << buckets.size() << " buckets, "
            << batches_with_anomalies << " batches with anomalies\n";
  EXPECT_LT(explained, batches_with_anomalies) << "the floor explained every batch's top anomaly";
}

TEST(ExplainFloorTest, NeedsAnExplanationOnlyAboveTheBestOfItsBucket) {
  ExplainFloor floor;
  EXPECT_TRUE(floor.needs(100, 0.5));
  floor.explained(100, 0.9);
  EXPECT_FALSE(floor.needs(105, 0.9));  // same bucket [100, 110), not higher
  EXPECT_TRUE(floor.needs(109.9, 0.95));
  EXPECT_TRUE(floor.needs(110, 0.1));   // the next bucket has none
  EXPECT_TRUE(floor.needs(99.9, 0.1));  // nor the one before
  for (int b = 1; b <= static_cast<int>(ExplainFloor::kBuckets); ++b)
    floor.explained(100 + 10 * b, 1);
  EXPECT_TRUE(floor.needs(100, 0.5)) << "the oldest bucket is forgotten";
  EXPECT_FALSE(floor.needs(110, 1));
}

TEST(ExplainBudgetTest, RefillsAtItsRateUpToOneSecondsWorth) {
  double now = 100;
  ExplainBudget budget(10, [&] { return now; });
  EXPECT_EQ(budget.take(), 10u);  // starts full
  budget.spend(10);
  EXPECT_EQ(budget.take(), 0u);
  now += 0.25;
  EXPECT_EQ(budget.take(), 2u);  // 2.5 tokens
  budget.spend(2);
  now += 60;
  EXPECT_EQ(budget.take(), 10u);  // capped at one second's worth
  ExplainBudget none(0, [&] { return now; });
  EXPECT_EQ(none.take(), 0u);
}

// A source that gives nothing until its input finishes, as a live capture holds back the
// flows still open until they close.
class HoldingSource : public stream::Source {
 public:
  explicit HoldingSource(stream::GeneratorSourceOptions o) : inner_(o) {}
  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override {
    if (!finished_) {
      std::this_thread::sleep_for(std::min(wait, std::chrono::milliseconds(10)));
      return size_t{0};
    }
    return inner_.next_batch(out, max, wait);
  }
  bool at_end() const override { return finished_ && inner_.at_end(); }
  bool finish_input() override {
    finished_ = true;
    return true;
  }
  void take_rejected(std::vector<stream::Rejected>&) override {}
  std::string describe() const override { return "holding"; }

 private:
  stream::GeneratorSource inner_;
  std::atomic<bool> finished_ = false;
};

TEST_F(PipelineTest, StopStoresTheRecordsTheSourceHeldBack) {
  HoldingSource source(generated(300));
  Pipeline p(source, *scorer_, *store_);
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    p.stop();
  });
  auto st = p.run();
  stopper.join();
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_EQ(p.stats().received, 300u);
  EXPECT_EQ(stored_rows(), 300);
}

TEST_F(PipelineTest, StopFinishesTheBatchesInFlight) {
  auto o = generated(0);  // endless
  o.eps = 20000;
  stream::GeneratorSource source(o);
  Pipeline p(source, *scorer_, *store_);
  int64_t committed = 0;
  p.set_commit([&](std::span<const model::ScoredFlow> b, auto) { committed += b.size(); });
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.stop();
  });
  auto st = p.run();
  stopper.join();  // before any ASSERT, so a failure does not leave a joinable thread behind
  ASSERT_TRUE(st.ok()) << st.error().to_string();
  EXPECT_GT(committed, 0);
  EXPECT_EQ(static_cast<uint64_t>(committed), p.stats().received);
  EXPECT_EQ(stored_rows(), committed);
}

}  // namespace
}  // namespace flowsentry::pipeline

#include "pipeline/anomaly_message.h"

namespace flowsentry::pipeline {
namespace {

TEST(AnomalyMessageTest, RoundTripsFlowVerdictAndKey) {
  stream::GeneratorOptions g;
  g.seed = 5;
  stream::FlowGenerator gen(g);
  model::ScoredFlow s{gen.next_attack(), {}};
  s.flow.stime = 1.7e9;
  s.flow.key = {"flows", 3, 42};
  s.verdict.score = 0.97;
  s.verdict.label = 1;
  s.verdict.attack_cat = "DoS";
  s.verdict.attack_cat_prob = 0.6;
  s.verdict.threshold = 0.4;
  s.verdict.model_version = "xgb-abc";
  s.verdict.top_features = {{"sttl", 254, 2.5}, {"proto", 3, -0.5}};
  flow::JsonDecoder d;
  std::string problem;
  auto back = decode_anomaly(encode_anomaly(s), d, problem);
  ASSERT_TRUE(back) << problem;
  EXPECT_EQ(back->flow.num, s.flow.num);
  EXPECT_EQ(back->flow.proto, s.flow.proto);
  EXPECT_EQ(back->flow.stime, s.flow.stime);
  EXPECT_EQ(back->flow.key.source, "flows");
  EXPECT_EQ(back->flow.key.partition, 3);
  EXPECT_EQ(back->flow.key.offset, 42);
  EXPECT_DOUBLE_EQ(back->verdict.score, 0.97);
  EXPECT_EQ(back->verdict.attack_cat, "DoS");
  ASSERT_EQ(back->verdict.top_features.size(), 2u);
  EXPECT_EQ(back->verdict.top_features[0].feature, "sttl");
}

TEST(AnomalyMessageTest, EscapesStringsAndWritesNoNaN) {
  stream::GeneratorOptions g;
  g.seed = 6;
  stream::FlowGenerator gen(g);
  model::ScoredFlow s{gen.next_attack(), {}};
  s.flow.key = {"topic \"a\"\\b\n", 0, 7};
  s.verdict.score = 0.5;
  s.verdict.label = 1;
  s.verdict.model_version = "v\t1";
  s.verdict.top_features = {{"dur", std::nan(""), 0.1}};
  const auto text = encode_anomaly(s);
  auto j = nlohmann::json::parse(text, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << text;
  EXPECT_EQ(j["key_source"], "topic \"a\"\\b\n");
  EXPECT_EQ(j["model_version"], "v\t1");
  EXPECT_EQ(j["verdict_label"], 1);
  EXPECT_EQ(j["top_features"][0]["value"], 0.0);
  s.verdict.top_features.clear();
  j = nlohmann::json::parse(encode_anomaly(s), nullptr, false);
  ASSERT_TRUE(j["top_features"].is_array());
  EXPECT_TRUE(j["top_features"].empty());
}

TEST(AnomalyMessageTest, RejectsAFlowWithoutAScore) {
  stream::GeneratorOptions g;
  stream::FlowGenerator gen(g);
  flow::JsonDecoder d;
  std::string problem;
  EXPECT_FALSE(decode_anomaly(flow::to_json(gen.next()), d, problem));
  EXPECT_NE(problem.find("score"), std::string::npos);
  EXPECT_FALSE(decode_anomaly("not json", d, problem));
}

}  // namespace
}  // namespace flowsentry::pipeline
