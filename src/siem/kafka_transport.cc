#include "siem/kafka_transport.h"

#include "common/log.h"
#include "stream/kafka_producer.h"

namespace flowsentry::siem {
namespace {

class KafkaTransport : public Transport {
 public:
  KafkaTransport(std::unique_ptr<stream::KafkaProducer> p, std::string topic)
      : producer_(std::move(p)), topic_(std::move(topic)) {}
  ~KafkaTransport() override {
    // Failures here were already counted through the delivery reports.
    if (auto s = producer_->flush(std::chrono::seconds(5)); !s.ok()) {
      module_logger("siem")->warn("SIEM Kafka output: {}", s.error().to_string());
    }
  }

  Delivery deliver(const std::string& record) override {
    // A short wait for queue room: the output retries with backoff rather than stall here.
    auto s = producer_->produce(topic_, {}, record, {}, -1, 0, std::chrono::milliseconds(100));
    producer_->poll();
    if (!s.ok()) return {false, true, s.error().message};
    return {true, false, {}};
  }

  void idle() override { producer_->poll(std::chrono::milliseconds(0)); }

 private:
  std::unique_ptr<stream::KafkaProducer> producer_;
  std::string topic_;
};

}  // namespace

Result<std::unique_ptr<Transport>> make_kafka_transport(KafkaOptions options,
                                                        std::function<void()> on_failed) {
  stream::ProducerConfig c;
  c.brokers = options.brokers;
  c.client_id = "flowsentry-siem";
  c.extra = std::move(options.properties);
  auto p = stream::KafkaProducer::create(c);
  if (!p.ok()) return p.error();
  p.value()->on_delivery([on_failed](const stream::DeliveryReport& r) {
    if (!r.ok && on_failed) on_failed();
  });
  return std::unique_ptr<Transport>(
      std::make_unique<KafkaTransport>(std::move(p.value()), std::move(options.topic)));
}

}  // namespace flowsentry::siem
