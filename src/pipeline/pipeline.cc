#include "pipeline/pipeline.h"

#include <algorithm>
#include <map>
#include <thread>
#include <utility>

#include "common/clock.h"
#include "common/log.h"
#include "flow/json_codec.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/probe.h"

namespace flowsentry::pipeline {
namespace {

auto& log() {
  static auto logger = module_logger("pipeline");
  return logger;
}

size_t explained(const std::vector<model::Verdict>& verdicts) {
  return static_cast<size_t>(std::count_if(verdicts.begin(), verdicts.end(),
                                           [](const auto& v) { return !v.top_features.empty(); }));
}

}  // namespace

Pipeline::Pipeline(stream::Source& source, const model::Scorer& scorer, store::Store& store,
                   PipelineOptions options)
    : source_(source),
      own_models_(std::make_unique<model::ScorerHandle>(model::ScorerHandle::borrow(scorer))),
      models_(*own_models_),
      store_(store),
      options_(options) {}

Pipeline::Pipeline(stream::Source& source, model::ScorerHandle& models, store::Store& store,
                   PipelineOptions options)
    : source_(source), models_(models), store_(store), options_(options) {}

PipelineStats Pipeline::stats() const {
  return {received_.load(),  rejected_.load(),     scored_.load(), stored_.load(),
          anomalies_.load(), store_errors_.load(), batches_.load()};
}

void Pipeline::drain_rejected(Batch& batch) {
  rejected_buf_.clear();
  source_.take_rejected(rejected_buf_);
  if (rejected_buf_.empty()) return;
  rejected_ += rejected_buf_.size();
  for (const auto& r : rejected_buf_) {
    Probe::rejected(r.problem.reason).inc();
    batch.rejected.push_back(r.key);
  }
  if (dead_letter_) dead_letter_(rejected_buf_);
}

// Reads one batch from the source; `read` is 0 when no record came (rejected ones may have).
Status Pipeline::read_batch(Batch& batch, size_t& read) {
  batch.flows.clear();
  batch.rejected.clear();
  auto n = source_.next_batch(batch.flows, options_.batch_size, options_.batch_wait);
  drain_rejected(batch);
  if (!n.ok()) return n.error();
  read = batch.flows.size();
  if (read == 0) return {};
  auto sent = source_.sent_ms();
  batch.sent_ms.assign(sent.begin(), sent.end());
  batch.read_at = wall_seconds();
  received_ += read;
  Probe::get().flows_in.inc(static_cast<double>(read));
  return {};
}

// Observes and commits finished batches, oldest first, until at most `keep` are in flight.
// With `wait` false, takes only those already finished.
Status Pipeline::collect(size_t keep, bool wait) {
  while (in_flight_ > keep) {
    auto done = done_->pop(wait ? std::chrono::milliseconds(100) : std::chrono::milliseconds(0));
    if (!done) {
      if (!wait) return {};
      continue;
    }
    --in_flight_;
    if (!done->status.ok()) return done->status;
    finish(*done->batch);
  }
  return {};
}

Status Pipeline::finish_in_flight() {
  return in_flight_ == 0 ? Status{} : collect(0, true);
}

// Batches go through a scoring thread and then a writing thread, in order, while this thread
// reads the next; at most two are in flight, so three take turns.
Status Pipeline::run_inline() {
  BoundedQueue<Batch*> to_score(1), to_write(1);
  done_ = std::make_unique<BoundedQueue<Done>>(3);
  auto drain = [](BoundedQueue<Batch*>& q, auto&& work) {
    while (true) {
      auto batch = q.pop(std::chrono::milliseconds(100));
      if (batch) {
        work(*batch);
      } else if (q.closed_and_empty()) {
        return;
      }
    }
  };
  std::thread scorer([&] {
    drain(to_score, [&](Batch* b) {
      auto st = score_batch(*b);
      if (!st.ok()) {
        done_->push({b, st});
      } else {
        to_write.push(b);
      }
    });
    to_write.close();
  });
  std::thread writer([&] {
    drain(to_write, [&](Batch* b) { done_->push({b, store_batch(*b)}); });
  });

  Batch batches[3];
  auto st = run_stages(batches, to_score);
  if (!st.ok()) stop_.store(true);  // a writer retrying a failing store gives up
  to_score.close();
  scorer.join();
  writer.join();
  in_flight_ = 0;
  return st;
}

Status Pipeline::run_stages(Batch (&batches)[3], BoundedQueue<Batch*>& to_score) {
  size_t next = 0;
  while (!stop_.load() && !source_.at_end()) {
    if (auto st = collect(2, true); !st.ok()) return st;
    Batch& batch = batches[next];
    size_t read = 0;
    auto st = read_batch(batch, read);
    // Idle or failed: finish the batches in flight now rather than when more data comes.
    if (!st.ok() || read == 0) {
      if (auto done = finish_in_flight(); !done.ok()) return done;
      if (!st.ok()) return st;
      if (!batch.rejected.empty()) commit({}, batch.rejected);
      continue;
    }
    ++in_flight_;
    to_score.push(&batch);
    next = (next + 1) % 3;
    if (auto done = collect(0, false); !done.ok()) return done;
  }
  return finish_in_flight();
}

Status Pipeline::run() {
  if (options_.inline_reader) return run_inline();
  BoundedQueue<Batch> queue(options_.queue_batches);
  auto& probe = Probe::get();

  // One read into the queue; false when reading must stop (source failed, queue closed).
  auto read_one = [&] {
    Batch batch;
    size_t read = 0;  // records rejected alone are dead-lettered; only committed in order
    if (auto st = read_batch(batch, read); !st.ok()) {
      reader_error_ = st.error();
      reader_failed_ = true;
      return false;
    }
    if (read == 0 && batch.rejected.empty()) return true;
    if (!queue.push(std::move(batch))) return false;
    probe.queue_batches.set(static_cast<double>(queue.size()));
    return true;
  };
  std::thread reader([&] {
    bool reading = true;
    while (reading && !stop_.load() && !source_.at_end()) reading = read_one();
    // Stopped: a source holding records back (a live capture's open flows) hands them over,
    // and they are stored like the rest (within the drain timeout).
    if (reading && stop_.load() && source_.finish_input()) {
      while (!source_.at_end() && read_one()) {
      }
    }
    queue.close();
  });

  Status result;
  auto stop_seen = std::chrono::steady_clock::time_point::max();
  while (true) {
    auto batch = queue.pop(std::chrono::milliseconds(100));
    probe.queue_batches.set(static_cast<double>(queue.size()));
    if (!batch) {
      if (queue.closed_and_empty()) break;
      continue;
    }
    if (stop_.load() && stop_seen == std::chrono::steady_clock::time_point::max()) {
      stop_seen = std::chrono::steady_clock::now();
    }
    if (auto st = process(*batch); !st.ok()) {
      result = st;
      stop_.store(true);
      queue.close();
    }
    if (stop_.load() && std::chrono::steady_clock::now() - stop_seen > options_.drain_timeout) {
      log()->warn("drain timeout: {} queued batch(es) left unstored and uncommitted", queue.size());
      queue.close();
      break;
    }
  }
  queue.close();
  reader.join();
  if (reader_failed_ && result.ok()) result = reader_error_;
  return result;
}

Status Pipeline::process(Batch& batch) {
  if (batch.flows.empty()) {  // only rejected records: nothing to store, but their place counts
    commit({}, batch.rejected);
    return {};
  }
  if (auto st = score_batch(batch); !st.ok()) return st;
  if (auto st = store_batch(batch); !st.ok()) return st;
  finish(batch);
  return {};
}

// Explains, beyond the budget, each 10 s bucket's top anomaly in this batch when no flow of
// that bucket with its score is explained yet (ExplainFloor).
Status Pipeline::keep_explain_floor(Batch& batch, const model::Scorer& scorer) {
  std::map<int64_t, size_t> top;  // bucket -> index of its highest-scoring anomaly here
  for (size_t i = 0; i < batch.verdicts.size(); ++i) {
    const auto& v = batch.verdicts[i];
    if (v.label != 1) continue;
    const double stime = *batch.flows[i].stime;
    if (!v.top_features.empty()) explain_floor_.explained(stime, v.score);
    auto [it, added] = top.try_emplace(ExplainFloor::bucket(stime), i);
    if (!added && v.score > batch.verdicts[it->second].score) it->second = i;
  }
  for (const auto& [b, i] : top) {
    auto& v = batch.verdicts[i];
    const double stime = *batch.flows[i].stime;
    if (!v.top_features.empty() || !explain_floor_.needs(stime, v.score)) continue;
    auto st = scorer.explain(std::span(batch.flows).subspan(i, 1),
                             std::span(batch.verdicts).subspan(i, 1), options_.explain_top_k);
    if (!st.ok()) return st;
    explain_floor_.explained(stime, v.score);
  }
  return {};
}

Status Pipeline::score_batch(Batch& batch) {
  auto& probe = Probe::get();
  // The store keys rows by event time; flows without one get the time they were read.
  for (auto& f : batch.flows) {
    if (!f.stime) f.stime = batch.read_at;
  }
  auto t0 = std::chrono::steady_clock::now();
  const bool explaining = options_.explain_per_second > 0 && options_.explain_top_k > 0;
  const size_t budget = explaining ? explain_budget_.take() : 0;
  model::ExplainOptions explain{options_.explain_top_k, true, budget};
  const auto scorer = models_.get();  // once: the whole batch is scored by one model
  if (auto st = scorer->score(batch.flows, batch.verdicts, explain); !st.ok()) return st;
  explain_budget_.spend(explained(batch.verdicts));
  if (explaining) {
    if (auto st = keep_explain_floor(batch, *scorer); !st.ok()) return st;
  }
  probe.score_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  score_shadow(batch);

  auto& scored = batch.scored;
  scored.resize(batch.flows.size());
  uint64_t anomalies = 0;
  for (size_t i = 0; i < batch.flows.size(); ++i) {
    scored[i].flow = std::move(batch.flows[i]);
    std::swap(scored[i].verdict, batch.verdicts[i]);
    anomalies += scored[i].verdict.label;
  }
  scored_ += scored.size();
  anomalies_ += anomalies;
  probe.flows_scored.inc(static_cast<double>(scored.size()));
  probe.anomalies.inc(static_cast<double>(anomalies));
  return {};
}

// The shadow model's verdicts only feed its statistics: they are never stored or alerted on.
void Pipeline::score_shadow(Batch& batch) {
  const auto shadow = models_.shadow();
  if (!shadow) return;
  auto& verdicts = batch.shadow_verdicts;
  if (auto st = shadow->score(batch.flows, verdicts); !st.ok()) {
    log()->warn("shadow model {} failed: {}", shadow->model_version(), st.error().to_string());
    return;
  }
  models_.shadow_stats().record(batch.verdicts, verdicts);
}

Status Pipeline::store_batch(Batch& batch) {
  std::vector<size_t> poison;
  Error refused;
  if (auto st = store_with_retry(batch.scored, poison, refused); !st.ok()) return st;
  if (!poison.empty()) set_aside(batch, poison, refused);
  batch.stored_at = wall_seconds();
  return {};
}

// After the batch is stored: latency, observers, then the commit.
void Pipeline::finish(Batch& batch) {
  if (!batch.poison.empty() && dead_letter_) dead_letter_(batch.poison);
  batch.poison.clear();
  observe_latency(batch);
  ++batches_;
  for (auto& observer : observers_) observer(batch.scored);
  commit(batch.scored, batch.rejected);
}

// The source moves past a stored batch only once the gate allows it.
void Pipeline::commit(std::span<const model::ScoredFlow> stored,
                      std::span<const flow::RecordKey> rejected) {
  if (commit_gate_) {
    if (auto st = commit_gate_(); !st.ok()) {
      log()->warn("batch not committed (it will be read again): {}", st.error().to_string());
      return;
    }
  }
  if (source_.commits()) {
    stored_keys_.clear();
    for (const auto& f : stored) stored_keys_.push_back(f.flow.key);
    if (auto st = source_.commit(stored_keys_, rejected); !st.ok()) {
      log()->warn("commit failed (the batch is stored; it may be read again): {}",
                  st.error().to_string());
    }
  }
  if (commit_) commit_(stored, rejected);
}

// One observation per flow: from its producer's send time when the source knows it (Kafka),
// else from when the pipeline read it.
void Pipeline::observe_latency(const Batch& batch) const {
  auto& histogram = Probe::get().end_to_end_seconds;
  for (size_t i = 0; i < batch.scored.size(); ++i) {
    double from = batch.read_at;
    if (i < batch.sent_ms.size() && batch.sent_ms[i] >= 0) {
      from = static_cast<double>(batch.sent_ms[i]) / 1000;
    }
    histogram.observe(std::max(0.0, batch.stored_at - from));
  }
}

namespace {

// Data the store refuses, as opposed to a store that is down or failing.
bool refused_for_data(const Error& e) {
  return e.code == ErrorCode::kValidation || e.code == ErrorCode::kInvalidArgument;
}

}  // namespace

// Writes `scored`; when the store refuses it for its data, writes each half on its own, down to
// single records. Indices (from `base`) of the records refused alone go to `poison`, the first
// such refusal to `refused`. An outage is returned as an error for the caller to retry.
Result<int64_t> Pipeline::write_isolating(std::span<const model::ScoredFlow> scored, size_t base,
                                          std::vector<size_t>& poison, Error& refused) {
  auto written = store_.write(scored);
  if (written.ok() || !refused_for_data(written.error())) return written;
  if (scored.size() == 1) {
    if (poison.empty()) refused = written.error();
    poison.push_back(base);
    return int64_t{0};
  }
  const size_t half = scored.size() / 2;
  auto left = write_isolating(scored.first(half), base, poison, refused);
  if (!left.ok()) return left;
  auto right = write_isolating(scored.subspan(half), base + half, poison, refused);
  if (!right.ok()) return right;
  return *left + *right;
}

// Moves the refused records out of the batch (so observers and the commit see only stored
// flows) into its dead-letter list and its rejected keys.
void Pipeline::set_aside(Batch& batch, std::span<const size_t> poison, const Error& refused) {
  for (size_t at : poison) {
    const auto& f = batch.scored[at].flow;
    log()->warn("record {}/{}/{} refused by the store, dead-lettered: {}", f.key.source,
                f.key.partition, f.key.offset, refused.to_string());
    batch.rejected.push_back(f.key);
    batch.poison.push_back(stream::Rejected{
        f.key, flow::to_json(f), flow::FieldProblem{"", refused.message, "store_rejected"}});
    Probe::rejected("store_rejected").inc();
  }
  rejected_ += poison.size();
  std::vector<model::ScoredFlow> kept;
  kept.reserve(batch.scored.size() - poison.size());
  size_t next = 0;
  for (size_t i = 0; i < batch.scored.size(); ++i) {
    if (next < poison.size() && poison[next] == i) {
      ++next;
    } else {
      kept.push_back(std::move(batch.scored[i]));
    }
  }
  batch.scored = std::move(kept);
}

Status Pipeline::store_with_retry(std::span<const model::ScoredFlow> scored,
                                  std::vector<size_t>& poison, Error& refused) {
  auto& probe = Probe::get();
  auto delay = options_.retry_initial;
  while (true) {
    auto t0 = std::chrono::steady_clock::now();
    poison.clear();
    auto written = write_isolating(scored, 0, poison, refused);
    if (written.ok()) {
      probe.store_seconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      stored_ += static_cast<uint64_t>(*written);
      probe.flows_stored.inc(static_cast<double>(*written));
      return {};
    }
    ++store_errors_;
    probe.store_errors.inc();
    if (stop_.load()) {
      return make_error(ErrorCode::kUnavailable,
                        "stopped while the store was failing; the batch was not committed and "
                        "will be read again on restart: " +
                            written.error().to_string());
    }
    log()->warn("store write failed ({}); retrying in {} ms", written.error().to_string(),
                delay.count());
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, options_.retry_max);
  }
}

}  // namespace flowsentry::pipeline
