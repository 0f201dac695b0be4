// Test support: the real Kafka broker of scripts/kafka for a gtest suite in this process. The
// broker's state lives in a temporary folder named after `tag` and this process, and the broker
// stops with the process (FLOWSENTRY_KAFKA_OWNER_PID) even if TearDown never runs.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "common/testing/shell.h"

namespace flowsentry::testing {

// Starts the broker; its bootstrap address, or "" when it did not start. `options`: "--sasl"
// for a SASL_SSL broker (see start_test_kafka_sasl).
inline std::string start_test_kafka(const std::string& tag, const std::string& options = "") {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("flowsentry-kafka-" + tag + "-" + std::to_string(::getpid()));
  ::setenv("FLOWSENTRY_KAFKA_DIR", dir.c_str(), 1);
  // Generous: a loaded CI machine (ctest -j) can take a while to start a JVM.
  ::setenv("FLOWSENTRY_KAFKA_READY_TIMEOUT", "180", 1);
  ::setenv("FLOWSENTRY_KAFKA_OWNER_PID", std::to_string(::getpid()).c_str(), 1);
  auto r = shell_run(std::string(FLOWSENTRY_SOURCE_DIR) + "/scripts/kafka start " + options,
                     /*trim=*/true);
  return r.code == 0 ? r.out : std::string();
}

// Starts a broker whose client listener is SASL_SSL (SCRAM-SHA-512, a throwaway CA); the
// client settings as "kafka.KEY=VALUE" lines (brokers, security_protocol, sasl_mechanism,
// sasl_username, sasl_password, ssl_ca_location), or none when it did not start.
inline std::vector<std::string> start_test_kafka_sasl(const std::string& tag) {
  std::vector<std::string> settings;
  std::istringstream lines(start_test_kafka(tag, "--sasl"));
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("kafka.")) settings.push_back(line);
  }
  return settings;
}

inline void stop_test_kafka() {
  shell_run(std::string(FLOWSENTRY_SOURCE_DIR) + "/scripts/kafka stop");
}

}  // namespace flowsentry::testing
