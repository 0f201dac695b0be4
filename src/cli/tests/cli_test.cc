// Runs the built binary as a user would and checks output and exit codes.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/testing/shell.h"
#include "common/version.h"

#include <httplib.h>

#include "cli/tests/process.h"
#include "flow/tests/fixtures.h"

namespace {

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& args) {
  std::string cmd = std::string(FLOWSENTRY_BINARY) + " " + args + " 2>&1";
  auto r = flowsentry::testing::shell_run(cmd);
  return {r.code, r.out};
}

std::string write_temp(const std::string& name, const std::string& text) {
  auto path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

TEST(CliTest, HelpListsSubcommands) {
  auto r = run("--help");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("check"), std::string::npos);
  EXPECT_NE(r.out.find("config"), std::string::npos);
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const char* sub : {"check", "config"}) {
    auto r = run(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub << ": " << r.out;
  }
}

TEST(CliTest, UsageErrorsExitWith2) {
  EXPECT_EQ(run("").code, 2);
  EXPECT_EQ(run("no-such-command").code, 2);
  EXPECT_EQ(run("check").code, 2);  // --data is required
  EXPECT_EQ(run("check --data x --format yaml").code, 2);
}

TEST(CliTest, VersionIsTheProjectVersion) {
  auto r = run("--version");
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.out, std::string("flowsentry ") + flowsentry::kVersion + "\n");
}

// The registry's command line on the committed models: register, promote, shadow, rollback,
// list as JSON, and a damaged index is a runtime error that names the file.
TEST(CliTest, ModelsRegisterPromoteRollbackAndList) {
  const auto dir = std::filesystem::temp_directory_path() / "cli_models_registry";
  std::filesystem::remove_all(dir);
  const std::string models = "models --registry " + dir.string() + " ";
  const std::string src = FLOWSENTRY_SOURCE_DIR;
  auto reg = run(models + "register " + src + "/models/default --promote --by alice");
  ASSERT_EQ(reg.code, 0) << reg.out;
  ASSERT_EQ(run(models + "register " + src + "/models/portable").code, 0);
  EXPECT_EQ(run(models + "register " + src + "/models/portable").code, 1);  // already there
  auto list = [&] {
    auto r = run(models + "list --format json 2>/dev/null");
    return nlohmann::json::parse(r.out);
  };
  auto j = list();
  ASSERT_EQ(j["versions"].size(), 2u);
  const std::string first = j["versions"][0]["version"], second = j["versions"][1]["version"];
  EXPECT_EQ(j["active"], first);
  EXPECT_EQ(j["versions"][0]["registered_by"], "alice");
  EXPECT_EQ(j["versions"][1]["parent"], first);
  EXPECT_EQ(j["versions"][1]["profile"], "portable");
  EXPECT_EQ(run(models + "shadow " + second).code, 0);
  EXPECT_EQ(list()["versions"][1]["role"], "shadow");
  EXPECT_EQ(run(models + "shadow").code, 2);  // VERSION or --clear
  EXPECT_EQ(run(models + "promote " + second.substr(0, 10)).code, 0);
  EXPECT_EQ(list()["active"], second);
  EXPECT_EQ(list()["shadow"], "");
  EXPECT_EQ(run(models + "promote xgb").code, 2);  // names both
  EXPECT_EQ(run(models + "rollback").code, 0);
  EXPECT_EQ(list()["active"], first);
  EXPECT_EQ(run(models + "rollback").code, 1);  // nothing before the first
  std::ofstream(dir / "index.json", std::ios::trunc) << "{";
  auto bad = run(models + "list");
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.out.find("index.json"), std::string::npos) << bad.out;
  std::filesystem::remove_all(dir);
}

TEST(CliTest, DbMaintainRunsOnceOnAMigratedStore) {
  const auto db = (std::filesystem::temp_directory_path() / "cli_maintain.db").string();
  std::filesystem::remove(db);
  auto unmigrated = run("db maintain --store " + db);
  EXPECT_EQ(unmigrated.code, 1) << unmigrated.out;  // no tables yet: a runtime error, said
  EXPECT_NE(unmigrated.out.find("flowsentry db maintain:"), std::string::npos);
  ASSERT_EQ(run("db migrate --store " + db).code, 0);
  auto r = run("db maintain --store " + db);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("retention: removed 0 flows"), std::string::npos) << r.out;
  EXPECT_EQ(run("db maintain --store " + db + " --every -1").code, 2);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);
}

TEST(CliTest, CheckCountsValidAndInvalidRows) {
  using namespace flowsentry::flow::testing;
  std::string bad = kRowHttp;
  bad.replace(bad.find(",31,29,"), 7, ",31,290,");
  auto path = write_temp("fs_cli_check.csv",
                         kHeader + "\n" + kRowHttp + "\n" + bad + "\n" + kRowUdp + "\n");
  auto r = run("check --data " + path);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rows: 2 valid, 1 invalid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("line 3: dttl: TTL 290 is above 255"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("proto (2 distinct): tcp=1 udp=1"), std::string::npos) << r.out;
  EXPECT_EQ(run("check --strict --data " + path).code, 1);
  std::remove(path.c_str());
}

TEST(CliTest, CheckOnMissingFileIsARuntimeError) {
  auto r = run("check --data /nonexistent/x.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("cannot open file"), std::string::npos);
}

TEST(CliTest, ConfigDefaultsIsCommentedToml) {
  auto r = run("config --defaults");
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("[kafka]\n# Kafka bootstrap servers"), std::string::npos) << r.out;
}

TEST(CliTest, ConfigRejectsUnknownKeyWithSuggestion) {
  auto path = write_temp("fs_cli.toml", "[kafka]\nbrokerz = \"x\"\n");
  auto r = run("config --config " + path);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.out.find("did you mean 'kafka.brokers'"), std::string::npos) << r.out;
  std::remove(path.c_str());
}

TEST(CliTest, ConfigShowsOriginsAndMasksSecrets) {
  auto r = run("config --set alert.webhook_url=http://127.0.0.1:1/hook --set api.port=9000");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("\"***\""), std::string::npos);
  EXPECT_EQ(r.out.find("127.0.0.1:1/hook"), std::string::npos);
  EXPECT_NE(r.out.find("9000"), std::string::npos);
}

TEST(CliAdversarialTest, ConfigMasksTheDatabasePassword) {
  auto r = run("config --set store.url=postgresql://fs:hunter2@127.0.0.1:5/db?password=hunter3");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hunter3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("postgresql://fs:***@127.0.0.1:5/db?password=***"), std::string::npos)
      << r.out;
}

TEST(CliAdversarialTest, ConfigMasksKafkaPasswordsAndPassthroughValues) {
  auto r =
      run("config --set kafka.security_protocol=sasl_ssl --set kafka.sasl_password=hunter2 "
          "--set kafka.properties.sasl.oauthbearer.client.secret=hunter3 "
          "--set kafka.ssl_key_password=hunter4");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(r.out.find("hunter"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("\"sasl.oauthbearer.client.secret\" = \"***\""), std::string::npos) << r.out;
}

TEST(CliTest, ProduceWithMismatchedKafkaSecurityIsAUsageError) {
  auto r = run("produce --data generator:normal --count 1 --set kafka.sasl_username=u");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("kafka.security_protocol"), std::string::npos) << r.out;
}

// The port `serve` printed ("http://127.0.0.1:PORT/"), waiting for it to start.
int served_port(flowsentry::testing::Process& p) {
  for (int i = 0; i < 600 && p.running(); ++i) {
    auto log = p.log();
    auto at = log.find("http://127.0.0.1:");
    if (at != std::string::npos && log.find('/', at + 17) != std::string::npos) {
      return std::stoi(log.substr(at + 17));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return -1;
}

// A restart on the same SQLite file must store new /predict?store=1 rows, not skip them as
// replays of the first process's keys.
TEST(CliAdversarialTest, PredictStoreKeepsStoringAfterARestart) {
  const auto dir = std::filesystem::temp_directory_path() / "cli_predict_restart";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto db = (dir / "store.db").string();
  for (int round = 0; round < 2; ++round) {
    flowsentry::testing::Process serve(
        {FLOWSENTRY_BINARY, "serve", "--model",
         std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default", "--store", db, "--port", "0"},
        (dir / ("serve" + std::to_string(round) + ".log")).string());
    const int port = served_port(serve);
    ASSERT_GT(port, 0) << serve.log_tail();
    httplib::Client client("127.0.0.1", port);
    auto r =
        client.Post("/predict?store=1", flowsentry::flow::testing::kJsonHttp, "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(r->get_header_value("X-Flowsentry-Stored"), "1") << "round " << round;
    serve.kill(SIGTERM);
    EXPECT_EQ(serve.wait(std::chrono::seconds(20)), 0) << serve.log_tail();
  }
}

}  // namespace
