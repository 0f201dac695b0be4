#include "pipeline/pipeline.h"

#include <algorithm>
#include <thread>

#include "common/log.h"
#include "pipeline/bounded_queue.h"
#include "pipeline/probe.h"

namespace flowsentry::pipeline {
namespace {

auto& log() {
  static auto logger = module_logger("pipeline");
  return logger;
}

}  // namespace

double now_seconds() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

Pipeline::Pipeline(stream::Source& source, const model::Scorer& scorer, store::Store& store,
                   PipelineOptions options)
    : source_(source), scorer_(scorer), store_(store), options_(options) {}

PipelineStats Pipeline::stats() const {
  return {received_.load(),  rejected_.load(),     scored_.load(), stored_.load(),
          anomalies_.load(), store_errors_.load(), batches_.load()};
}

void Pipeline::drain_rejected() {
  rejected_buf_.clear();
  source_.take_rejected(rejected_buf_);
  if (rejected_buf_.empty()) return;
  rejected_ += rejected_buf_.size();
  for (const auto& r : rejected_buf_) Probe::rejected(r.problem.reason).inc();
  if (dead_letter_) dead_letter_(rejected_buf_);
}

Status Pipeline::run_inline() {
  auto& probe = Probe::get();
  Batch batch;
  while (!stop_.load() && !source_.at_end()) {
    batch.flows.clear();
    auto n = source_.next_batch(batch.flows, options_.batch_size, options_.batch_wait);
    drain_rejected();
    if (!n.ok()) return n.error();
    if (batch.flows.empty()) continue;
    batch.read_at = now_seconds();
    received_ += batch.flows.size();
    probe.flows_in.inc(static_cast<double>(batch.flows.size()));
    if (auto st = process(batch); !st.ok()) return st;
  }
  return {};
}

Status Pipeline::run() {
  if (options_.inline_reader) return run_inline();
  BoundedQueue<Batch> queue(options_.queue_batches);
  auto& probe = Probe::get();

  std::thread reader([&] {
    while (!stop_.load() && !source_.at_end()) {
      Batch batch;
      auto n = source_.next_batch(batch.flows, options_.batch_size, options_.batch_wait);
      drain_rejected();
      if (!n.ok()) {
        reader_error_ = n.error();
        reader_failed_ = true;
        break;
      }
      if (batch.flows.empty()) continue;
      batch.read_at = now_seconds();
      received_ += batch.flows.size();
      probe.flows_in.inc(static_cast<double>(batch.flows.size()));
      if (!queue.push(std::move(batch))) break;
      probe.queue_batches.set(static_cast<double>(queue.size()));
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
  auto& probe = Probe::get();
  // The store keys rows by event time; flows without one get the time they were read.
  for (auto& f : batch.flows) {
    if (!f.stime) f.stime = batch.read_at;
  }
  auto t0 = std::chrono::steady_clock::now();
  model::ExplainOptions explain{options_.explain_top_k, true};
  if (auto st = scorer_.score(batch.flows, verdicts_, explain); !st.ok()) return st;
  probe.score_seconds.observe(
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());

  scored_buf_.resize(batch.flows.size());
  uint64_t anomalies = 0;
  for (size_t i = 0; i < batch.flows.size(); ++i) {
    scored_buf_[i].flow = std::move(batch.flows[i]);
    std::swap(scored_buf_[i].verdict, verdicts_[i]);
    anomalies += scored_buf_[i].verdict.label;
  }
  scored_ += scored_buf_.size();
  anomalies_ += anomalies;
  probe.flows_scored.inc(static_cast<double>(scored_buf_.size()));
  probe.anomalies.inc(static_cast<double>(anomalies));

  if (auto st = store_with_retry(scored_buf_); !st.ok()) return st;
  double stored_at = now_seconds();
  probe.end_to_end_seconds.observe(std::max(0.0, stored_at - batch.read_at));
  ++batches_;
  for (auto& observer : observers_) observer(scored_buf_);
  if (commit_) commit_(scored_buf_);
  return {};
}

Status Pipeline::store_with_retry(std::span<const model::ScoredFlow> scored) {
  auto& probe = Probe::get();
  auto delay = options_.retry_initial;
  while (true) {
    auto t0 = std::chrono::steady_clock::now();
    auto written = store_.write(scored);
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
