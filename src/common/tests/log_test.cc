#include "common/log.h"

#include <sstream>

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <nlohmann/json.hpp>

#include "common/metrics.h"

namespace flowsentry {
namespace {

TEST(LogAdversarialTest, OutsideTextCannotForgeALogLine) {
  EXPECT_EQ(log_safe("/predict\r\n2026-12-03 [info] admin logged in"),
            "/predict\\x0d\\x0a2026-12-03 [info] admin logged in");
  EXPECT_EQ(log_safe("a\"b\\c\x1b[31m"), "a\\\"b\\\\c\\x1b[31m");
  EXPECT_EQ(log_safe(std::string(500, 'x'), 10), std::string(10, 'x') + "...");
  EXPECT_EQ(log_safe("/api/v1/flows?host=10.0.0.1"), "/api/v1/flows?host=10.0.0.1");
}

// A registered logger writing to a string, so set_log_format reaches it.
struct CapturedLogger {
  std::ostringstream out;
  std::shared_ptr<spdlog::logger> logger;
  explicit CapturedLogger(const std::string& name) {
    logger = std::make_shared<spdlog::logger>(
        name, std::make_shared<spdlog::sinks::ostream_sink_st>(out));
    spdlog::register_logger(logger);
  }
  ~CapturedLogger() {
    spdlog::drop(logger->name());
    (void)set_log_format("text");
  }
};

TEST(LogTest, JsonLinesCarryTimeLevelModuleMessageAndFields) {
  CapturedLogger cap("jsontest");
  ASSERT_TRUE(set_log_format("json").ok());
  log_fields(*cap.logger, spdlog::level::warn, "disk \"full\"\n",
             {{"path", "/var/lib/x"}, {"bytes", uint64_t{42}}, {"ratio", 0.5}, {"code", -3}});
  cap.logger->info("plain {}", 7);
  std::istringstream lines(cap.out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["module"], "jsontest");
  EXPECT_EQ(j["msg"], "disk \"full\"\n");
  EXPECT_EQ(j["path"], "/var/lib/x");
  EXPECT_EQ(j["bytes"], 42);
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_EQ(j["code"], -3);
  const auto ts = j["ts"].get<std::string>();
  ASSERT_EQ(ts.size(), 29u) << ts;  // 2026-12-03T15:20:00.123+00:00
  EXPECT_EQ(ts.substr(10, 1), "T");
  EXPECT_EQ(ts.substr(23), "+00:00");
  ASSERT_TRUE(std::getline(lines, line));
  const auto plain = nlohmann::json::parse(line);
  EXPECT_EQ(plain["msg"], "plain 7");
  EXPECT_FALSE(plain.contains("path"));  // fields belong to their own line only
}

TEST(LogAdversarialTest, TextFieldsAreEscapedOnOneLine) {
  CapturedLogger cap("texttest");
  cap.logger->set_pattern("%v");
  ASSERT_TRUE(set_log_format("text").ok());
  cap.logger->set_pattern("%v");
  log_fields(*cap.logger, spdlog::level::info, "request",
             {{"path", "/x\r\nforged line"}, {"status", 200}});
  EXPECT_EQ(cap.out.str(), "request path=\"/x\\x0d\\x0aforged line\" status=200\n");
  EXPECT_FALSE(set_log_format("xml").ok());
}

TEST(MetricsTest, ProcessFamiliesAndBuildInfo) {
  MetricsRegistry r;
  refresh_process_metrics(r);
  const auto text = r.render();
  for (const char* family : {"process_cpu_seconds_total ", "process_resident_memory_bytes ",
                             "process_open_fds ", "process_max_fds ", "process_start_time_seconds ",
                             "process_virtual_memory_bytes ", "flowsentry_build_info{version=\""}) {
    EXPECT_NE(text.find(family), std::string::npos) << family << " in\n" << text;
  }
  EXPECT_GT(r.gauge("process_resident_memory_bytes", "").value(), 1e6);
  EXPECT_GT(r.gauge("process_open_fds", "").value(), 2);
  EXPECT_GT(r.gauge("process_start_time_seconds", "").value(), 1.6e9);
}

}  // namespace
}  // namespace flowsentry
