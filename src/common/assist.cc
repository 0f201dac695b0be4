#include "common/assist.h"

#include <chrono>

namespace flowsentry {
namespace {

// After prime(): longer than parsing a large /predict body. After a task: longer than the gap
// between one request's splits (decode, then score), short enough to waste little when the
// cores are busy anyway.
constexpr int64_t kPrimeSpinNs = 3'000'000;
constexpr int64_t kTaskSpinNs = 1'000'000;

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Assist& Assist::global() {
  static Assist* assist = new Assist;  // never destroyed: its thread may be mid-spin at exit
  return *assist;
}

Assist::Assist() : thread_([this] { run(); }) {
  thread_.detach();
}

void Assist::spin_for(int64_t ns) {
  const int64_t until = now_ns() + ns;
  int64_t seen = spin_until_ns_.load(std::memory_order_relaxed);
  while (seen < until && !spin_until_ns_.compare_exchange_weak(seen, until)) {
  }
}

void Assist::prime() {
  spin_for(kPrimeSpinNs);
  wake_.notify_one();
}

bool Assist::start(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (owned_) return false;
    owned_ = true;
    task_ = std::move(task);
    done_.store(false, std::memory_order_relaxed);
    has_task_.store(true, std::memory_order_release);
  }
  spin_for(kTaskSpinNs);
  wake_.notify_one();
  return true;
}

void Assist::wait() {
  // The helper's half takes about as long as the caller's: yield rather than sleep.
  while (!done_.load(std::memory_order_acquire)) std::this_thread::yield();
  std::lock_guard lock(mutex_);
  owned_ = false;
}

void Assist::run() {
  for (;;) {
    while (!has_task_.load(std::memory_order_acquire) &&
           now_ns() < spin_until_ns_.load(std::memory_order_relaxed)) {
      std::this_thread::yield();
    }
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] {
        return has_task_.load(std::memory_order_relaxed) ||
               now_ns() < spin_until_ns_.load(std::memory_order_relaxed);
      });
      if (!has_task_.load(std::memory_order_relaxed)) continue;  // primed: spin
      task = std::move(task_);
      has_task_.store(false, std::memory_order_relaxed);
    }
    task();
    spin_for(kTaskSpinNs);
    done_.store(true, std::memory_order_release);
  }
}

}  // namespace flowsentry
