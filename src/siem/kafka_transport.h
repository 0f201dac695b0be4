// ECS (or OCSF) documents to a Kafka topic through stream::KafkaProducer. produce() queues;
// a delivery that fails later is counted by the producer and logged, and reported here as
// kafka_failed() so the output's dropped counter includes it.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "siem/transport.h"
#include "stream/kafka_common.h"

namespace flowsentry::siem {

struct KafkaOptions {
  std::string brokers;
  std::string topic;
  stream::KafkaProperties properties;  // security settings and passthrough (client_properties)
};

// `on_failed` is called (from the output's thread) once per message Kafka did not take.
Result<std::unique_ptr<Transport>> make_kafka_transport(KafkaOptions options,
                                                        std::function<void()> on_failed);

}  // namespace flowsentry::siem
