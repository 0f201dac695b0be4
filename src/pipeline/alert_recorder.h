// AlertRecorder: writes alerts, their delivery results and drift events to the store on a thread
// of its own, so neither the detectors nor alert delivery ever wait for the store. During a
// store outage writes are retried with backoff in order; beyond `capacity` pending writes the
// oldest are dropped and counted (flowsentry_alert_records_dropped_total).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <variant>

#include "store/store.h"

namespace flowsentry::pipeline {

struct AlertRecorderOptions {
  size_t capacity = 10000;
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{5000};
};

class AlertRecorder {
 public:
  explicit AlertRecorder(store::Store& store, AlertRecorderOptions options = {});
  ~AlertRecorder();  // writes what it can within a second, then gives up on the rest
  AlertRecorder(const AlertRecorder&) = delete;
  AlertRecorder& operator=(const AlertRecorder&) = delete;

  void record(store::StoredAlert alert) { push(std::move(alert)); }
  void record(store::DriftEvent event) { push(std::move(event)); }
  // Waits until every pending write is stored, or the timeout passes.
  bool flush(std::chrono::milliseconds timeout);
  uint64_t dropped() const;

 private:
  using Write = std::variant<store::StoredAlert, store::DriftEvent>;
  struct Item {
    uint64_t seq;
    Write write;
  };
  void push(Write w);
  void run();
  Status write(const Write& w);

  store::Store& store_;
  AlertRecorderOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<Item> pending_;
  uint64_t next_seq_ = 0;
  bool busy_ = false;
  bool stop_ = false;
  uint64_t dropped_ = 0;
  std::thread worker_;
};

}  // namespace flowsentry::pipeline
