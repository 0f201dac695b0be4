// Dispatcher: asynchronous alert delivery that never blocks the caller. submit() applies the
// cooldown per alert key, then queues one job per notifier in a bounded queue and returns at
// once; when the queue is full the alert is dropped and counted. One worker thread sends jobs
// when due, retrying retryable failures with exponential backoff and jitter; a final failure is
// counted and logged (without the URL). Each notifier has its own rate limit: an alert over it
// waits in the queue for budget rather than being dropped. Test alerts (type "test", from
// /alert-test) have a budget of their own and are answered "rate_limited" over it, so testing
// never delays real alerts. Every alert and delivery result goes to the AlertLog.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "detect/alert_log.h"
#include "detect/noise.h"
#include "detect/notifier.h"

namespace flowsentry::detect {

struct DispatcherOptions {
  size_t queue_capacity = 1000;  // pending jobs (alert x notifier), retries included
  int max_attempts = 4;
  double backoff_initial_s = 1.0;  // delay before the 2nd attempt; doubles each time
  double backoff_max_s = 60;
  double jitter = 0.2;       // each delay is scaled by a uniform factor in [1-j, 1+j]
  double cooldown_s = 600;   // same key again within this is suppressed
  double rate_per_min = 30;  // per notifier; <= 0 unlimited
  double rate_burst = 10;
  double test_rate_per_min = 10;  // test alerts, per notifier, apart from real ones
  double test_rate_burst = 3;
  uint64_t seed = 0;  // jitter seed; 0 = random
};

enum class SubmitResult { kQueued, kSuppressed, kDropped };

struct DispatchStats {
  uint64_t submitted = 0;
  uint64_t suppressed = 0;    // cooldown
  uint64_t dropped = 0;       // queue full
  uint64_t delivered = 0;     // jobs
  uint64_t failed = 0;        // jobs that ran out of attempts (or were not retryable)
  uint64_t rate_limited = 0;  // real alerts that waited for budget; test alerts refused
  uint64_t retries = 0;
};

class Dispatcher {
 public:
  Dispatcher(DispatcherOptions options, std::vector<std::unique_ptr<Notifier>> notifiers,
             std::shared_ptr<AlertLog> log = nullptr, Clock clock = wall_seconds);
  ~Dispatcher();  // stops the worker; jobs still queued are recorded as "shutdown"
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Never blocks on delivery. Returns what happened to the alert.
  SubmitResult submit(const Alert& alert);
  // Waits until every queued job has its final outcome, or the timeout passes.
  bool flush(std::chrono::milliseconds timeout);

  DispatchStats stats() const;
  AlertLog& log() { return *log_; }
  std::vector<std::string> notifier_names() const;

 private:
  using SteadyTime = std::chrono::steady_clock::time_point;
  struct Job {
    SteadyTime due;
    uint64_t seq;
    uint64_t alert_id;
    std::shared_ptr<const Alert> alert;
    size_t notifier;
    int attempt;  // attempts made so far
  };
  struct Later {
    bool operator()(const Job& a, const Job& b) const {
      return a.due != b.due ? a.due > b.due : a.seq > b.seq;
    }
  };

  void run();
  std::chrono::duration<double> backoff(int attempts_made);
  void finish(const Job& job, const SendResult& r, const std::string& status);

  DispatcherOptions opt_;
  std::vector<std::unique_ptr<Notifier>> notifiers_;
  std::vector<RateLimiter> limits_;
  std::vector<RateLimiter> test_limits_;
  std::shared_ptr<AlertLog> log_;
  Clock clock_;
  Cooldown cooldown_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::vector<Job> heap_;  // min-heap on due time
  size_t in_flight_ = 0;
  uint64_t seq_ = 0;
  bool stop_ = false;
  DispatchStats stats_;
  std::mt19937_64 rng_;
  std::thread worker_;
};

}  // namespace flowsentry::detect
