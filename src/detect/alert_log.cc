#include "detect/alert_log.h"

namespace flowsentry::detect {

uint64_t AlertLog::record_alert(const Alert& alert, std::string disposition, double now) {
  AlertRecord rec;
  std::vector<AlertHook> hooks;
  {
    std::lock_guard lk(mu_);
    rec = AlertRecord{next_id_++, alert, std::move(disposition), now};
    alerts_.push_back(rec);
    while (alerts_.size() > capacity_) alerts_.pop_front();
    hooks = alert_hooks_;
  }
  for (const auto& h : hooks) h(rec);
  return rec.id;
}

void AlertLog::record_delivery(DeliveryRecord record) {
  std::vector<DeliveryHook> hooks;
  {
    std::lock_guard lk(mu_);
    deliveries_.push_back(record);
    while (deliveries_.size() > capacity_) deliveries_.pop_front();
    hooks = delivery_hooks_;
  }
  for (const auto& h : hooks) h(record);
}

std::vector<AlertRecord> AlertLog::alerts() const {
  std::lock_guard lk(mu_);
  return {alerts_.begin(), alerts_.end()};
}

std::vector<DeliveryRecord> AlertLog::deliveries() const {
  std::lock_guard lk(mu_);
  return {deliveries_.begin(), deliveries_.end()};
}

std::vector<DeliveryRecord> AlertLog::deliveries_for(uint64_t alert_id) const {
  std::lock_guard lk(mu_);
  std::vector<DeliveryRecord> out;
  for (const auto& d : deliveries_) {
    if (d.alert_id == alert_id) out.push_back(d);
  }
  return out;
}

void AlertLog::on_alert(AlertHook hook) {
  std::lock_guard lk(mu_);
  alert_hooks_.push_back(std::move(hook));
}

void AlertLog::on_delivery(DeliveryHook hook) {
  std::lock_guard lk(mu_);
  delivery_hooks_.push_back(std::move(hook));
}

}  // namespace flowsentry::detect
