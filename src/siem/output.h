// Output: one configured SIEM destination. Callers hand it verdicts and alerts with offer(),
// which filters, queues and returns at once: when the bounded queue is full the record is
// dropped and counted, never waited for. One thread per output formats each record and
// delivers it through its Transport, retrying retryable failures with exponential backoff;
// a record that runs out of attempts is dropped and counted. A circuit breaker (circuit.h) stops
// a destination that is down from taking every record's attempts: while it is open records are
// dropped at once. Counters: flowsentry_siem_sent_total{output},
// flowsentry_siem_dropped_total{output,reason}, flowsentry_siem_circuit_opened_total{output}.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <variant>

#include "common/metrics.h"
#include "detect/alert.h"
#include "model/verdict.h"
#include "siem/circuit.h"
#include "siem/transport.h"

namespace flowsentry::siem {

// What an output takes: anomalous verdicts, alerts, or every verdict and every alert.
enum class Filter { kAnomalies, kAlerts, kAll };

using Record = std::variant<model::ScoredFlow, detect::Alert>;
// A record's text for this output, or nullopt when its format has no form for it (OCSF
// findings exist for alerts only).
using Formatter = std::function<std::optional<std::string>(const Record&)>;

struct OutputOptions {
  std::string name;  // metrics label, e.g. "syslog-1"
  Filter filter = Filter::kAlerts;
  size_t queue_capacity = 10000;
  int max_attempts = 5;
  double backoff_initial_s = 0.5;  // before the 2nd attempt; doubles each time
  double backoff_max_s = 30;
  CircuitBreaker::Options circuit;  // failed attempts in a row that open it, and for how long
};

struct OutputStats {
  uint64_t sent = 0;
  uint64_t dropped = 0;  // queue full, out of attempts, rejected, circuit open, or at shutdown
  uint64_t dropped_circuit_open = 0;  // of those, dropped while the circuit was open
  uint64_t circuit_opened = 0;
  uint64_t retries = 0;
  uint64_t queued = 0;  // waiting now
};

// Why a record was dropped: the `reason` label of flowsentry_siem_dropped_total.
inline constexpr std::array<const char*, 5> kDropReasons{"queue_full", "attempts", "rejected",
                                                         "circuit_open", "shutdown"};

class Output {
 public:
  Output(OutputOptions options, Formatter format, std::unique_ptr<Transport> transport);
  ~Output();  // delivers what is queued for up to 2 s, drops the rest (counted)
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Never blocks on delivery. With `normal_only`, anomalous verdicts are left out (another
  // process forwards them: a `run` worker's anomalies go through the alerter).
  void offer(std::span<const model::ScoredFlow> batch, bool normal_only = false);
  void offer(const detect::Alert& alert);

  // Waits until the queue is empty and nothing is in flight, or the timeout passes.
  bool flush(std::chrono::milliseconds timeout);
  OutputStats stats() const;
  const std::string& name() const { return opt_.name; }

 private:
  bool push(Record r);  // under mu_
  void run();
  void deliver(const Record& r);
  // Counts a dropped record under `reason` (one of kDropReasons).
  void drop(size_t reason, uint64_t n = 1);
  // One attempt failed; returns true when it opened the circuit.
  bool circuit_failed();
  bool sleep_for(std::chrono::duration<double> d);  // false when stopping

  OutputOptions opt_;
  Formatter format_;
  std::unique_ptr<Transport> transport_;
  Counter& sent_;
  std::array<Counter*, 5> dropped_{};  // per kDropReasons
  Counter& retries_;
  Counter& circuit_opened_;
  Gauge& circuit_open_;
  CircuitBreaker circuit_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<Record> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::atomic<uint64_t> sent_n_{0}, dropped_n_{0}, retries_n_{0}, open_drops_n_{0}, opened_n_{0};
  std::thread worker_;
};

}  // namespace flowsentry::siem
