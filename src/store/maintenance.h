// Maintenance: the store's housekeeping on a schedule — retention (drop flows older than
// store.retention_days) and what writes in the coming days need (PostgreSQL's daily partitions
// ahead of today). Runs once when started, then every `interval` on its own thread, until
// stopped or destroyed. Failures are logged and retried at the next run; they never stop the
// service.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "store/store.h"

namespace flowsentry::store {

struct MaintenanceOptions {
  std::chrono::milliseconds interval = std::chrono::hours(1);
  // Wall-clock seconds since the epoch; injected so tests pin "now".
  std::function<double()> clock = wall_seconds;
};

class Maintenance {
 public:
  // The store must outlive this object.
  explicit Maintenance(Store& store, MaintenanceOptions options = {});
  ~Maintenance();
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  // Starts the thread: one run now, then one every interval. A second start is a no-op.
  void start();
  // Stops the thread without waiting for the interval; safe to call twice.
  void stop();

  // One run in the caller's thread: retention at clock(), then prepare_ahead(clock()).
  Status run_once();

  int64_t runs() const;  // completed runs, successful or not
  int64_t failures() const;

 private:
  void loop();

  Store& store_;
  MaintenanceOptions options_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  int64_t runs_ = 0;
  int64_t failures_ = 0;
  std::thread thread_;
};

}  // namespace flowsentry::store
