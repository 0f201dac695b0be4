#include "siem/output.h"

#include <pthread.h>
#include <signal.h>

#include <algorithm>

#include "common/log.h"

namespace flowsentry::siem {

Output::Output(OutputOptions options, Formatter format, std::unique_ptr<Transport> transport)
    : opt_(std::move(options)),
      format_(std::move(format)),
      transport_(std::move(transport)),
      sent_(MetricsRegistry::global().counter("flowsentry_siem_sent_total",
                                              "Records delivered to a SIEM output",
                                              {{"output", opt_.name}})),
      retries_(MetricsRegistry::global().counter("flowsentry_siem_retries_total",
                                                 "Delivery attempts a SIEM output repeated",
                                                 {{"output", opt_.name}})),
      circuit_opened_(MetricsRegistry::global().counter(
          "flowsentry_siem_circuit_opened_total",
          "Times a SIEM output's circuit opened after failed attempts in a row",
          {{"output", opt_.name}})),
      circuit_open_(MetricsRegistry::global().gauge(
          "flowsentry_siem_circuit_open", "1 while a SIEM output's circuit is open, else 0",
          {{"output", opt_.name}})),
      circuit_(opt_.circuit) {
  for (size_t i = 0; i < kDropReasons.size(); ++i) {
    dropped_[i] = &MetricsRegistry::global().counter(
        "flowsentry_siem_dropped_total",
        "Records a SIEM output dropped, by reason (queue_full, attempts, rejected, circuit_open, "
        "shutdown; delivery_failed for Kafka)",
        {{"output", opt_.name}, {"reason", kDropReasons[i]}});
  }
  worker_ = std::thread([this] { run(); });
}

namespace {
constexpr size_t kQueueFull = 0, kAttempts = 1, kRejected = 2, kCircuitOpen = 3, kShutdown = 4;
}  // namespace

void Output::drop(size_t reason, uint64_t n) {
  dropped_[reason]->inc(static_cast<double>(n));
  dropped_n_ += n;
  if (reason == kCircuitOpen) open_drops_n_ += n;
}

Output::~Output() {
  flush(std::chrono::seconds(2));
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  worker_.join();
  const auto left = queue_.size();
  if (left > 0) {
    drop(kShutdown, left);
    module_logger("siem")->warn("output {}: {} records not delivered at shutdown", opt_.name, left);
  }
}

bool Output::push(Record r) {
  if (queue_.size() >= opt_.queue_capacity) {
    drop(kQueueFull);
    return false;
  }
  queue_.push_back(std::move(r));
  busy_ = true;  // flush() waits for it from now on
  return true;
}

void Output::offer(std::span<const model::ScoredFlow> batch, bool normal_only) {
  if (opt_.filter == Filter::kAlerts || (normal_only && opt_.filter == Filter::kAnomalies)) return;
  bool any = false;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : batch) {
      if (opt_.filter == Filter::kAnomalies && !f.verdict.label) continue;
      if (normal_only && f.verdict.label) continue;
      any = push(f) || any;
    }
  }
  if (any) wake_.notify_one();
}

void Output::offer(const detect::Alert& alert) {
  if (opt_.filter == Filter::kAnomalies) return;
  bool queued = false;
  {
    std::lock_guard lock(mu_);
    queued = push(alert);
  }
  if (queued) wake_.notify_one();
}

bool Output::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return idle_.wait_for(lock, timeout, [&] { return queue_.empty() && !busy_; });
}

OutputStats Output::stats() const {
  OutputStats s;
  s.sent = sent_n_;
  s.dropped = dropped_n_;
  s.retries = retries_n_;
  s.dropped_circuit_open = open_drops_n_;
  s.circuit_opened = opened_n_;
  std::lock_guard lock(mu_);
  s.queued = queue_.size();
  return s;
}

bool Output::sleep_for(std::chrono::duration<double> d) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, d, [&] { return stop_; });
}

bool Output::circuit_failed() {
  if (!circuit_.failure(CircuitBreaker::Clock::now())) return false;
  circuit_opened_.inc();
  circuit_open_.set(1);
  ++opened_n_;
  return true;
}

void Output::deliver(const Record& r) {
  const auto text = format_(r);
  if (!text) return;  // this format has no form for the record
  if (!circuit_.allow(CircuitBreaker::Clock::now())) {
    drop(kCircuitOpen);
    return;
  }
  circuit_open_.set(0);
  auto delay = std::chrono::duration<double>(opt_.backoff_initial_s);
  for (int attempt = 1;; ++attempt) {
    const bool probe = circuit_.probing();
    const Delivery d = transport_->deliver(*text);
    if (d.ok) {
      circuit_.success();
      sent_.inc();
      ++sent_n_;
      return;
    }
    // A refused record (not retryable) says nothing about the destination being down.
    if (!d.retryable) {
      drop(kRejected);
      module_logger("siem")->warn("output {}: record rejected: {}", opt_.name, d.error);
      return;
    }
    if (circuit_failed()) {
      drop(kCircuitOpen);
      module_logger("siem")->warn(
          "output {}: {} failed attempts in a row{}: circuit open, records dropped until a "
          "probe succeeds: {}",
          opt_.name, probe ? 1 : opt_.circuit.failures, probe ? " (probe)" : "", d.error);
      return;
    }
    if (attempt >= opt_.max_attempts || !sleep_for(delay)) {
      drop(kAttempts);
      module_logger("siem")->warn("output {}: record dropped after {} attempts: {}", opt_.name,
                                  attempt, d.error);
      return;
    }
    retries_.inc();
    ++retries_n_;
    delay = std::min(delay * 2, std::chrono::duration<double>(opt_.backoff_max_s));
  }
}

void Output::run() {
  // Transports write to sockets a peer may have closed (OpenSSL writes without MSG_NOSIGNAL):
  // with SIGPIPE blocked in this thread, such a write fails with EPIPE instead of ending the
  // process.
  sigset_t pipe;
  sigemptyset(&pipe);
  sigaddset(&pipe, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
  std::unique_lock lock(mu_);
  for (;;) {
    if (queue_.empty() && busy_) {
      // Flush the transport before flush() callers are told everything is out.
      lock.unlock();
      transport_->idle();
      lock.lock();
      if (queue_.empty()) {
        busy_ = false;
        idle_.notify_all();
      }
      continue;
    }
    wake_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (stop_) return;
    Record r = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    deliver(r);
    lock.lock();
  }
}

}  // namespace flowsentry::siem
