// Assist: one long-lived helper thread that takes half of a split batch (a 1,000-flow
// /predict is decoded and scored in two halves).
//
// Why not a new thread per split: waking an idle thread costs ~0.7 ms on the VMs measured
// (the idle vCPU has to be woken through the hypervisor), as much as half of such a batch's
// decoding. The helper spins, yielding, for 3 ms after prime() and 1 ms after each task, so
// the splits of one request find it awake.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace flowsentry {

class Assist {
 public:
  static Assist& global();  // lives until the process exits

  // Work is coming: start spinning now, so the first start() finds the helper awake.
  void prime();
  // Runs `task` on the helper and returns true, or returns false at once (the caller then
  // runs it itself) when another caller holds the helper. A true start() needs a wait().
  bool start(std::function<void()> task);
  void wait();

 private:
  Assist();
  void run();
  void spin_for(int64_t ns);

  std::mutex mutex_;
  std::condition_variable wake_;
  std::function<void()> task_;  // guarded by mutex_
  bool owned_ = false;          // guarded by mutex_: a start() not yet waited for
  std::atomic<bool> has_task_{false};
  std::atomic<bool> done_{true};
  std::atomic<int64_t> spin_until_ns_{0};
  std::thread thread_;
};

}  // namespace flowsentry
