// Pipeline: source -> batch -> score -> store -> observers -> commit (Source::commit).
//
// Two threads joined by a bounded queue of batches. The reader pulls batches from the source
// (by size and by latency) and blocks when the queue is full, so a slow or failing store holds
// the source back instead of growing memory. The worker scores a batch, writes it to the store
// (retrying with exponential backoff until it succeeds or the pipeline stops), then hands it
// to the observers (detectors, the anomalies topic) and finally to the commit hook: a source's
// position is only committed after its batch is durably stored. Rejected records go to the
// dead-letter hook with their reason and are counted.
//
// A store that refuses a batch for its data (kValidation, kInvalidArgument) rather than for an
// outage has the batch split in halves until the records it cannot hold stand alone: those are
// dead-lettered ("store_rejected") and the rest is stored, so one poison record never stalls
// the stream. Outages are retried with backoff as before.
//
// Inline mode (Kafka) keeps reading, observers and commits on the calling thread; a scoring
// thread and a writing thread work on the two batches before the one being read. Batches are
// committed in order, each only after it is stored.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "common/clock.h"
#include "common/result.h"
#include "model/scorer.h"
#include "model/scorer_handle.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/explain_budget.h"
#include "store/store.h"
#include "stream/source.h"

namespace flowsentry::pipeline {

struct PipelineOptions {
  size_t batch_size = 4000;
  std::chrono::milliseconds batch_wait{20};
  size_t queue_batches = 8;
  int explain_top_k = 3;  // SHAP explanations for anomalies only; 0 = none
  // Stored anomalies are explained within a budget: this many a second on average (bursts up
  // to one second's worth), the highest scores of a batch first; beyond it, each 10 s of event
  // time explains its top anomaly (ExplainFloor). 0 = none. Linear TreeSHAP costs ~0.4 ms a
  // flow, so the default explains every anomaly of 10k flows/s at up to 20 % anomalies, and
  // bounds the CPU a flood of anomalies can take to a fraction of a core.
  double explain_per_second = 2000;
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{5000};
  // Gives up on stop after this long draining; unstored batches are not committed.
  std::chrono::milliseconds drain_timeout{8000};
  // Read, observe and commit on the calling thread; score and store on two helper threads,
  // at most two batches in flight. Needed for sources that must be polled and committed from one
  // thread (Kafka). A rebalance handler calls finish_in_flight() so the batch in flight is
  // stored and committed before its partitions go.
  bool inline_reader = false;
};

struct PipelineStats {
  uint64_t received = 0;
  uint64_t rejected = 0;
  uint64_t scored = 0;
  uint64_t stored = 0;  // newly stored (duplicates of a replay are not counted)
  uint64_t anomalies = 0;
  uint64_t store_errors = 0;
  uint64_t batches = 0;
};

class Pipeline {
 public:
  using Observer = std::function<void(std::span<const model::ScoredFlow>)>;
  using DeadLetter = std::function<void(std::vector<stream::Rejected>&)>;
  // Called after the source committed a batch: its stored flows and the keys of the records
  // rejected with it (already dead-lettered).
  using Commit =
      std::function<void(std::span<const model::ScoredFlow>, std::span<const flow::RecordKey>)>;
  // Asked before a batch is committed; an error keeps it uncommitted (read again after a
  // restart), e.g. while its dead letters or anomaly messages are not yet acknowledged.
  using CommitGate = std::function<Status()>;

  Pipeline(stream::Source& source, const model::Scorer& scorer, store::Store& store,
           PipelineOptions options = {});
  // Scores each batch with the handle's model at the time (taken once per batch, so a model
  // swapped in mid-batch is used from the next one), and with its shadow model, if any, for
  // the shadow statistics only.
  Pipeline(stream::Source& source, model::ScorerHandle& models, store::Store& store,
           PipelineOptions options = {});

  void add_observer(Observer observer) { observers_.push_back(std::move(observer)); }
  void set_commit(Commit commit) { commit_ = std::move(commit); }
  void set_commit_gate(CommitGate gate) { commit_gate_ = std::move(gate); }
  void set_dead_letter(DeadLetter dead_letter) { dead_letter_ = std::move(dead_letter); }

  // Runs until the source ends and everything read is stored, or until stop() is called
  // (then it finishes the batches in flight). Returns the first unrecoverable error.
  Status run();
  // Safe from any thread and from a signal-watching thread.
  void stop() { stop_.store(true); }
  bool stopping() const { return stop_.load(); }
  // Inline mode, on the calling thread (from inside the source, during a rebalance): stores,
  // observes and commits the batches in flight, in order. Returns the first store error.
  Status finish_in_flight();

  PipelineStats stats() const;

 private:
  struct Batch {
    std::vector<flow::FlowRecord> flows;
    std::vector<int64_t> sent_ms;  // the source's send times, parallel to flows; may be empty
    std::vector<flow::RecordKey> rejected;  // keys of the records rejected while reading it
    std::vector<stream::Rejected> poison;   // records the store refused, dead-lettered at finish
    std::vector<model::Verdict> verdicts;
    std::vector<model::Verdict> shadow_verdicts;
    std::vector<model::ScoredFlow> scored;
    double read_at = 0;
    double stored_at = 0;
  };
  struct Done {
    Batch* batch;
    Status status;
  };
  Status run_inline();
  Status run_stages(Batch (&batches)[3], BoundedQueue<Batch*>& to_score);
  Status collect(size_t keep, bool wait);
  Status process(Batch& batch);
  Status score_batch(Batch& batch);
  Status keep_explain_floor(Batch& batch, const model::Scorer& scorer);
  void score_shadow(Batch& batch);
  Status store_batch(Batch& batch);
  void finish(Batch& batch);
  void commit(std::span<const model::ScoredFlow> stored, std::span<const flow::RecordKey> rejected);
  Status read_batch(Batch& batch, size_t& read);
  void observe_latency(const Batch& batch) const;
  Status store_with_retry(std::span<const model::ScoredFlow> scored, std::vector<size_t>& poison,
                          Error& refused);
  Result<int64_t> write_isolating(std::span<const model::ScoredFlow> scored, size_t base,
                                  std::vector<size_t>& poison, Error& refused);
  void set_aside(Batch& batch, std::span<const size_t> poison, const Error& refused);
  void drain_rejected(Batch& batch);

  stream::Source& source_;
  std::unique_ptr<model::ScorerHandle> own_models_;  // for the single-Scorer constructor
  model::ScorerHandle& models_;
  store::Store& store_;
  PipelineOptions options_;
  std::vector<Observer> observers_;
  Commit commit_;
  CommitGate commit_gate_;
  DeadLetter dead_letter_;
  std::vector<flow::RecordKey> stored_keys_;

  std::atomic<bool> stop_{false};
  std::atomic<bool> reader_failed_{false};
  Error reader_error_;
  std::atomic<uint64_t> received_{0}, rejected_{0}, scored_{0}, stored_{0}, anomalies_{0},
      store_errors_{0}, batches_{0};
  std::vector<stream::Rejected> rejected_buf_;
  // Inline mode: batches handed to the scoring thread and not yet committed, and the queue
  // the writing thread (or a failed scoring) hands them back on, in order.
  size_t in_flight_ = 0;
  std::unique_ptr<BoundedQueue<Done>> done_;
  ExplainBudget explain_budget_{options_.explain_per_second};
  ExplainFloor explain_floor_;
};

}  // namespace flowsentry::pipeline
