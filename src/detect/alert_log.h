// AlertLog: the in-memory record of every alert the dispatcher saw (queued, suppressed, dropped)
// and every delivery result, newest kept up to a capacity. Hooks let the store and the dashboard
// subscribe; they run on the caller's thread (submit or the dispatcher worker), outside the lock.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "detect/alert.h"

namespace flowsentry::detect {

struct AlertRecord {
  uint64_t id = 0;
  Alert alert;
  std::string disposition;  // "queued", "suppressed" (cooldown), "dropped" (queue full)
  double time = 0;          // wall clock when submitted
};

struct DeliveryRecord {
  uint64_t alert_id = 0;
  std::string alert_key;
  std::string notifier;  // "slack", "webhook", "log"
  bool ok = false;
  std::string status;  // "delivered", "failed", "rate_limited", "shutdown"
  int attempts = 0;
  int http_status = 0;
  std::string error;
  double time = 0;  // wall clock of the final outcome
};

class AlertLog {
 public:
  using AlertHook = std::function<void(const AlertRecord&)>;
  using DeliveryHook = std::function<void(const DeliveryRecord&)>;

  explicit AlertLog(size_t capacity = 1000) : capacity_(capacity) {}

  uint64_t record_alert(const Alert& alert, std::string disposition, double now);
  void record_delivery(DeliveryRecord record);

  std::vector<AlertRecord> alerts() const;
  std::vector<DeliveryRecord> deliveries() const;
  std::vector<DeliveryRecord> deliveries_for(uint64_t alert_id) const;

  void on_alert(AlertHook hook);
  void on_delivery(DeliveryHook hook);

 private:
  size_t capacity_;
  mutable std::mutex mu_;
  uint64_t next_id_ = 1;
  std::deque<AlertRecord> alerts_;
  std::deque<DeliveryRecord> deliveries_;
  std::vector<AlertHook> alert_hooks_;
  std::vector<DeliveryHook> delivery_hooks_;
};

}  // namespace flowsentry::detect
