#include "pipeline/alert_recorder.h"

#include <algorithm>

#include "common/log.h"
#include "common/metrics.h"

namespace flowsentry::pipeline {
namespace {

auto& log() {
  static auto logger = module_logger("pipeline");
  return logger;
}

Counter& dropped_counter() {
  static auto& c = MetricsRegistry::global().counter(
      "flowsentry_alert_records_dropped_total",
      "Alert and drift records not stored because the store was down too long");
  return c;
}

}  // namespace

AlertRecorder::AlertRecorder(store::Store& store, AlertRecorderOptions options)
    : store_(store), options_(options) {
  worker_ = std::thread([this] { run(); });
}

AlertRecorder::~AlertRecorder() {
  (void)flush(std::chrono::seconds(1));
  {
    std::lock_guard lock(mu_);
    stop_ = true;
    if (!pending_.empty()) {
      log()->warn("{} alert/drift record(s) not stored at shutdown", pending_.size());
    }
  }
  wake_.notify_all();
  worker_.join();
}

void AlertRecorder::push(Write w) {
  {
    std::lock_guard lock(mu_);
    if (pending_.size() >= options_.capacity) {
      pending_.pop_front();
      ++dropped_;
      dropped_counter().inc();
    }
    pending_.push_back(Item{next_seq_++, std::move(w)});
  }
  wake_.notify_one();
}

bool AlertRecorder::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [this] { return pending_.empty() && !busy_; });
}

uint64_t AlertRecorder::dropped() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

Status AlertRecorder::write(const Write& w) {
  return std::visit(
      [this](const auto& v) -> Status {
        if constexpr (std::is_same_v<std::decay_t<decltype(v)>, store::StoredAlert>) {
          return store_.record_alert(v);
        } else {
          return store_.record_drift(v);
        }
      },
      w);
}

void AlertRecorder::run() {
  std::unique_lock lock(mu_);
  auto delay = options_.retry_initial;
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !pending_.empty(); });
    if (stop_) return;
    const Item item = pending_.front();
    busy_ = true;
    lock.unlock();
    auto st = write(item.write);
    lock.lock();
    busy_ = false;
    if (st.ok()) {
      // Drop it unless the queue overflowed meanwhile and pushed it out already.
      if (!pending_.empty() && pending_.front().seq == item.seq) pending_.pop_front();
      delay = options_.retry_initial;
      if (pending_.empty()) idle_.notify_all();
      continue;
    }
    log()->warn("recording an alert or drift event failed ({}); retrying in {} ms",
                st.error().to_string(), delay.count());
    wake_.wait_for(lock, delay, [this] { return stop_; });
    delay = std::min(delay * 2, options_.retry_max);
  }
}

}  // namespace flowsentry::pipeline
