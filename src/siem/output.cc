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
      dropped_(MetricsRegistry::global().counter(
          "flowsentry_siem_dropped_total",
          "Records a SIEM output dropped (queue full, out of attempts, shutdown)",
          {{"output", opt_.name}})),
      retries_(MetricsRegistry::global().counter("flowsentry_siem_retries_total",
                                                 "Delivery attempts a SIEM output repeated",
                                                 {{"output", opt_.name}})) {
  worker_ = std::thread([this] { run(); });
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
    dropped_.inc(static_cast<double>(left));
    dropped_n_ += left;
    module_logger("siem")->warn("output {}: {} records not delivered at shutdown", opt_.name, left);
  }
}

bool Output::push(Record r) {
  if (queue_.size() >= opt_.queue_capacity) {
    dropped_.inc();
    ++dropped_n_;
    return false;
  }
  queue_.push_back(std::move(r));
  busy_ = true;  // flush() waits for it from now on
  return true;
}

void Output::offer(std::span<const model::ScoredFlow> batch) {
  if (opt_.filter == Filter::kAlerts) return;
  bool any = false;
  {
    std::lock_guard lock(mu_);
    for (const auto& f : batch) {
      if (opt_.filter == Filter::kAnomalies && !f.verdict.label) continue;
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
  std::lock_guard lock(mu_);
  s.queued = queue_.size();
  return s;
}

bool Output::sleep_for(std::chrono::duration<double> d) {
  std::unique_lock lock(mu_);
  return !wake_.wait_for(lock, d, [&] { return stop_; });
}

void Output::deliver(const Record& r) {
  const auto text = format_(r);
  if (!text) return;  // this format has no form for the record
  auto delay = std::chrono::duration<double>(opt_.backoff_initial_s);
  for (int attempt = 1;; ++attempt) {
    const Delivery d = transport_->deliver(*text);
    if (d.ok) {
      sent_.inc();
      ++sent_n_;
      return;
    }
    if (!d.retryable || attempt >= opt_.max_attempts || !sleep_for(delay)) {
      dropped_.inc();
      ++dropped_n_;
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
