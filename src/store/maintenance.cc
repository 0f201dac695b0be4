#include "store/maintenance.h"

#include "common/log.h"

namespace flowsentry::store {

Maintenance::Maintenance(Store& store, MaintenanceOptions options)
    : store_(store), options_(std::move(options)) {}

Maintenance::~Maintenance() {
  stop();
}

void Maintenance::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void Maintenance::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status Maintenance::run_once() {
  const double now = options_.clock();
  Status st;
  auto removed = store_.apply_retention(now);
  if (!removed.ok()) {
    st = removed.error();
  } else if (auto ahead = store_.prepare_ahead(now); !ahead.ok()) {
    st = ahead;
  }
  std::lock_guard lock(mu_);
  ++runs_;
  if (!st.ok()) ++failures_;
  return st;
}

void Maintenance::loop() {
  for (;;) {
    if (auto st = run_once(); !st.ok()) {
      module_logger("store")->warn("store maintenance failed (retried in {} s): {}",
                                   options_.interval.count() / 1000, st.error().to_string());
    }
    std::unique_lock lock(mu_);
    if (wake_.wait_for(lock, options_.interval, [&] { return stopping_; })) return;
  }
}

int64_t Maintenance::runs() const {
  std::lock_guard lock(mu_);
  return runs_;
}

int64_t Maintenance::failures() const {
  std::lock_guard lock(mu_);
  return failures_;
}

}  // namespace flowsentry::store
