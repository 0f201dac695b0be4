// KafkaProducer: asynchronous produce with delivery reports checked. Every message's fate is
// counted (delivered / failed); flush() waits for the outstanding ones and says whether any
// failed. Used for the `anomalies` topic, the dead-letter topic and `flowsentry produce`.
//
// Thread-safety: produce(), poll() and flush() may be called from one thread at a time;
// the counters may be read from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "flow/flow_record.h"
#include "stream/kafka_common.h"
#include "stream/source.h"

struct rd_kafka_s;

namespace flowsentry::stream {

struct ProducerConfig {
  std::string brokers;  // bootstrap servers, "host:port,..."
  std::string client_id = "flowsentry";
  bool idempotent = true;  // no duplicates from internal retries
  int linger_ms = 5;       // batching delay
  std::string compression = "lz4";
  int64_t queue_max_messages = 200000;  // local queue; produce() waits for room beyond it
  std::chrono::milliseconds delivery_timeout{30000};  // a message not delivered by then fails
  KafkaProperties extra;                              // any other librdkafka property
};

// One message to send, with the producer timestamp to give it (-1: now).
struct OutMessage {
  std::string topic;
  std::string key;
  std::string value;
  Headers headers;
  int64_t timestamp_ms = -1;
};

// The dead-letter copy of a rejected record: its original bytes, key, headers and timestamp,
// plus the reason code, the problem text and the origin (topic/partition/offset) as headers.
OutMessage dead_letter_message(std::string_view topic, const Rejected& rejected);

struct DeliveryReport {
  std::string topic;
  int32_t partition = -1;
  int64_t offset = -1;
  bool ok = false;
  std::string error;    // empty when ok
  uint64_t opaque = 0;  // what the caller passed to produce()
};

class KafkaProducer {
 public:
  static Result<std::unique_ptr<KafkaProducer>> create(const ProducerConfig& config);
  ~KafkaProducer();
  KafkaProducer(const KafkaProducer&) = delete;
  KafkaProducer& operator=(const KafkaProducer&) = delete;

  // Queues one message. `partition` -1 lets the partitioner choose (by key; random for an empty
  // key). When the local queue is full it serves delivery reports and retries for up to
  // `queue_wait`, then fails with kUnavailable. The outcome comes later as a delivery report.
  Status produce(std::string_view topic, std::string_view key, std::string_view value,
                 const Headers& headers = {}, int32_t partition = -1, uint64_t opaque = 0,
                 std::chrono::milliseconds queue_wait = std::chrono::milliseconds(10000));

  // produce() with the message's own timestamp.
  Status send(const OutMessage& m, uint64_t opaque = 0,
              std::chrono::milliseconds queue_wait = std::chrono::milliseconds(10000));

  // Sends dead_letter_message(topic, rejected).
  Status produce_dead_letter(std::string_view topic, const Rejected& rejected);

  // Serves delivery reports that arrived; waits at most `wait` for one.
  void poll(std::chrono::milliseconds wait = std::chrono::milliseconds(0));

  // Waits until every queued message has its delivery report, at most `timeout`. Error when
  // some are still outstanding (kTimeout) or when any failed since the last flush (kUnavailable,
  // with the first error), or at once when authentication or TLS failed.
  Status flush(std::chrono::milliseconds timeout);

  // Called for every delivery report, from the thread calling produce/poll/flush.
  void on_delivery(std::function<void(const DeliveryReport&)> fn) { on_delivery_ = std::move(fn); }

  uint64_t delivered() const { return delivered_.load(); }
  uint64_t failed() const { return failed_.load(); }
  uint64_t in_flight() const;
  std::string last_error() const;
  // The authentication or TLS failure that stopped this producer (see auth_failure()); once set,
  // produce() and flush() return it at once.
  std::optional<Error> fatal_error() const;
  const std::string& brokers() const { return brokers_; }

 private:
  KafkaProducer() = default;
  friend struct ProducerCallbacks;
  void record(const DeliveryReport& report);
  void client_error(int err, const char* reason);
  Status produce_at(std::string_view topic, std::string_view key, std::string_view value,
                    const Headers& headers, int32_t partition, uint64_t opaque,
                    std::chrono::milliseconds queue_wait, int64_t timestamp_ms);

  rd_kafka_s* rk_ = nullptr;
  std::string brokers_;
  std::function<void(const DeliveryReport&)> on_delivery_;
  std::atomic<uint64_t> delivered_{0};
  std::atomic<uint64_t> failed_{0};
  uint64_t failed_at_last_flush_ = 0;
  mutable std::mutex error_mu_;
  std::string last_error_;
  std::optional<Error> fatal_;  // guarded by error_mu_
};

// Creates `topic` with `partitions` partitions (replication 1) if it does not exist yet.
// `extra`: client properties such as client_properties(config).
Status create_topic(const std::string& brokers, const std::string& topic, int partitions,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000),
                    const KafkaProperties& extra = {});

}  // namespace flowsentry::stream
