// Stage: one helper thread that runs one job at a time. The owner starts a job, does other
// work (reads the next batch), then waits for the job's result. Not for several owners.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "common/result.h"

namespace flowsentry::pipeline {

class Stage {
 public:
  Stage() : thread_([this] { loop(); }) {}
  ~Stage() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  Stage(const Stage&) = delete;
  Stage& operator=(const Stage&) = delete;

  // The previous job must have been waited for.
  void start(std::function<Status()> job) {
    {
      std::lock_guard lock(mu_);
      job_ = std::move(job);
      result_.reset();
    }
    cv_.notify_all();
  }

  // The running job's result once it ends; ok at once when no job was started.
  Status wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return !job_ || result_.has_value(); });
    if (!job_) return {};
    job_ = nullptr;
    Status st = std::move(*result_);
    result_.reset();
    return st;
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    while (true) {
      cv_.wait(lock, [this] { return quit_ || (job_ && !result_); });
      if (quit_) return;
      auto job = job_;
      lock.unlock();
      Status st = job();
      lock.lock();
      result_ = std::move(st);
      cv_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<Status()> job_;
  std::optional<Status> result_;
  bool quit_ = false;
  std::thread thread_;  // last: starts after the members it uses
};

}  // namespace flowsentry::pipeline
