// Transport: one way of moving a formatted record somewhere (a file, a Kafka topic, a syslog
// server, a webhook). deliver() makes one attempt and says whether a retry could help; the
// Output around it owns the queue, the thread, retries and counting, so transports stay small.
#pragma once

#include <memory>
#include <string>

namespace flowsentry::siem {

struct Delivery {
  bool ok = false;
  bool retryable = false;
  std::string error;  // empty when ok; never contains secrets
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual Delivery deliver(const std::string& record) = 0;
  // Called when the queue runs empty: flush buffers, serve delivery reports.
  virtual void idle() {}
};

}  // namespace flowsentry::siem
