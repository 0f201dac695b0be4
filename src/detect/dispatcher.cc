#include "detect/dispatcher.h"

#include <algorithm>
#include <cmath>

#include "common/log.h"
#include "common/metrics.h"

namespace flowsentry::detect {

Dispatcher::Dispatcher(DispatcherOptions options, std::vector<std::unique_ptr<Notifier>> notifiers,
                       std::shared_ptr<AlertLog> log, Clock clock)
    : opt_(options),
      notifiers_(std::move(notifiers)),
      log_(log ? std::move(log) : std::make_shared<AlertLog>()),
      clock_(std::move(clock)),
      cooldown_(options.cooldown_s),
      rng_(options.seed ? options.seed : std::random_device{}()) {
  for (size_t i = 0; i < notifiers_.size(); ++i) {
    limits_.emplace_back(opt_.rate_per_min, opt_.rate_burst);
    test_limits_.emplace_back(opt_.test_rate_per_min, opt_.test_rate_burst);
  }
  worker_ = std::thread([this] { run(); });
}

Dispatcher::~Dispatcher() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
  for (const auto& job : heap_) {
    finish(job, SendResult{false, false, 0, "dispatcher stopped before delivery"}, "shutdown");
  }
}

std::vector<std::string> Dispatcher::notifier_names() const {
  std::vector<std::string> out;
  for (const auto& n : notifiers_) out.push_back(n->name());
  return out;
}

namespace {

Gauge& queue_depth() {
  static Gauge& g = MetricsRegistry::global().gauge(
      "flowsentry_alert_queue_depth",
      "Alert deliveries waiting (alert x notifier, retries included)");
  return g;
}

Histogram& send_seconds(const std::string& notifier) {
  return MetricsRegistry::global().histogram("flowsentry_notifier_send_seconds",
                                             "Time of one delivery attempt by notifier",
                                             {{"notifier", notifier}});
}

}  // namespace

SubmitResult Dispatcher::submit(const Alert& alert) {
  const double now = clock_();
  std::string disposition;
  SubmitResult result;
  {
    std::lock_guard lk(mu_);
    ++stats_.submitted;
    if (cooldown_.blocked(alert.key(), now)) {
      cooldown_.count_suppressed();
      ++stats_.suppressed;
      result = SubmitResult::kSuppressed;
      disposition = "suppressed";
    } else if (heap_.size() + notifiers_.size() > opt_.queue_capacity) {
      ++stats_.dropped;
      result = SubmitResult::kDropped;
      disposition = "dropped";
    } else {
      cooldown_.mark(alert.key(), now);  // only alerts that go out start a cooldown
      result = SubmitResult::kQueued;
      disposition = "queued";
    }
  }
  const uint64_t id = log_->record_alert(alert, disposition, now);
  if (result == SubmitResult::kDropped) {
    module_logger("detect")->warn("alert queue full ({} jobs): dropped alert {}",
                                  opt_.queue_capacity, alert.key());
  }
  if (result != SubmitResult::kQueued) return result;
  auto shared = std::make_shared<const Alert>(alert);
  {
    std::lock_guard lk(mu_);
    const auto due = std::chrono::steady_clock::now();
    for (size_t i = 0; i < notifiers_.size(); ++i) {
      heap_.push_back(Job{due, seq_++, id, shared, i, 0});
      std::push_heap(heap_.begin(), heap_.end(), Later{});
    }
    queue_depth().set(static_cast<double>(heap_.size()));
  }
  wake_.notify_one();
  return result;
}

bool Dispatcher::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lk(mu_);
  return idle_.wait_for(lk, timeout, [this] { return heap_.empty() && in_flight_ == 0; });
}

DispatchStats Dispatcher::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

std::chrono::duration<double> Dispatcher::backoff(int attempts_made) {
  const double base =
      std::min(opt_.backoff_max_s, opt_.backoff_initial_s * std::pow(2.0, attempts_made - 1));
  std::uniform_real_distribution<double> u(1.0 - opt_.jitter, 1.0 + opt_.jitter);
  return std::chrono::duration<double>(std::max(0.0, base * u(rng_)));
}

void Dispatcher::finish(const Job& job, const SendResult& r, const std::string& status) {
  DeliveryRecord rec;
  rec.alert_id = job.alert_id;
  rec.alert_key = job.alert->key();
  rec.notifier = notifiers_[job.notifier]->name();
  rec.ok = r.ok;
  rec.status = status;
  rec.attempts = job.attempt;
  rec.http_status = r.http_status;
  rec.error = r.error;
  rec.time = clock_();
  if (!r.ok && status != "rate_limited") {
    module_logger("detect")->error("alert {} not delivered to {} after {} attempt(s): {}",
                                   rec.alert_key, rec.notifier, rec.attempts, r.error);
  }
  log_->record_delivery(std::move(rec));
}

void Dispatcher::run() {
  std::unique_lock lk(mu_);
  while (!stop_) {
    if (heap_.empty()) {
      idle_.notify_all();
      wake_.wait(lk, [this] { return stop_ || !heap_.empty(); });
      continue;
    }
    const auto due = heap_.front().due;
    if (due > std::chrono::steady_clock::now()) {
      wake_.wait_until(lk, due);
      continue;
    }
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    Job job = std::move(heap_.back());
    heap_.pop_back();
    const bool test = job.alert->type == "test";
    auto& limiter = (test ? test_limits_ : limits_)[job.notifier];
    const double now = clock_();
    const bool allowed = job.attempt > 0 || limiter.try_acquire(now);
    if (!allowed && !test) {
      // Over budget: wait for it in the queue (which stays bounded by queue_capacity).
      ++stats_.rate_limited;
      // Looked at again at least once a second, in case the clock jumps.
      const double wait = std::clamp(limiter.wait_seconds(now), 0.01, 1.0);
      job.due = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                    std::chrono::duration<double>(wait));
      job.seq = seq_++;
      heap_.push_back(std::move(job));
      std::push_heap(heap_.begin(), heap_.end(), Later{});
      continue;
    }
    ++in_flight_;
    lk.unlock();

    SendResult r;
    std::string status;
    if (!allowed) {
      r.error = "rate limit of the notifier reached";
      status = "rate_limited";
    } else {
      ++job.attempt;
      const auto started = std::chrono::steady_clock::now();
      r = notifiers_[job.notifier]->send(*job.alert);
      status = r.ok ? "delivered" : "failed";
      send_seconds(notifiers_[job.notifier]->name())
          .observe(
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    const bool retry = allowed && !r.ok && r.retryable && job.attempt < opt_.max_attempts;
    std::chrono::duration<double> delay{};
    if (retry) delay = backoff(job.attempt);
    if (!retry) finish(job, r, status);

    lk.lock();
    --in_flight_;
    if (retry) {
      ++stats_.retries;
      job.due = std::chrono::steady_clock::now() +
                std::chrono::duration_cast<std::chrono::steady_clock::duration>(delay);
      job.seq = seq_++;
      heap_.push_back(std::move(job));
      std::push_heap(heap_.begin(), heap_.end(), Later{});
    } else if (!allowed) {
      ++stats_.rate_limited;
    } else if (r.ok) {
      ++stats_.delivered;
    } else {
      ++stats_.failed;
    }
    queue_depth().set(static_cast<double>(heap_.size()));
    if (heap_.empty() && in_flight_ == 0) idle_.notify_all();
  }
}

}  // namespace flowsentry::detect
