// Zeek conn.log through the commands a user runs: recognised by content (TSV, JSON, gzip), a
// model needing features conn.log lacks is refused by name, the conn model scores it.
#include <unistd.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

#include "common/testing/shell.h"

namespace {

namespace fs = std::filesystem;

const std::string kSource = FLOWSENTRY_SOURCE_DIR;
const std::string kData = kSource + "/src/stream/tests/data/zeek/";

struct Run {
  int code;
  std::string out;
};

Run run(const std::string& args) {
  auto r = flowsentry::testing::shell_run(std::string(FLOWSENTRY_BINARY) + " " + args + " 2>&1");
  return {r.code, r.out};
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ZeekCliTest, AFullModelIsRefusedNamingTheMissingFeatures) {
  auto r = run("score --model " + kSource + "/models/default --data " + kData + "tsv/conn.log");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("profile 'full'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("it fills profile 'conn'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("sttl"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tcprtt"), std::string::npos) << r.out;
}

TEST(ZeekCliTest, TheConnModelScoresAConnLog) {
  auto r =
      run("score --model " + kSource + "/models/conn --data " + kData + "tsv/conn.log 2>/dev/null");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count(r.out, "\"score\""), 8u) << r.out;
}

TEST(ZeekCliTest, AConnLogWithoutHttpAndFtpLogsNeedsTheNetflowModel) {
  auto refused =
      run("score --model " + kSource + "/models/conn --data " + kData + "reordered/conn.log");
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_NE(refused.out.find("trans_depth"), std::string::npos) << refused.out;
  auto r = run("score --model " + kSource + "/models/netflow --data " + kData +
               "reordered/conn.log 2>/dev/null");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_EQ(count(r.out, "\"score\""), 3u) << r.out;
}

TEST(ZeekCliTest, CheckReadsJsonAndGzipByContent) {
  auto json = run("check --data " + kData + "json/conn.json");
  EXPECT_EQ(json.code, 0) << json.out;
  EXPECT_NE(json.out.find("rows: 8 valid, 0 invalid"), std::string::npos) << json.out;

  const fs::path dir = fs::temp_directory_path() / ("fs-zeek-cli-" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::stringstream text;
  text << std::ifstream(kData + "tsv/conn.log").rdbuf();
  const std::string gz = (dir / "conn.log.gz").string();
  gzFile f = gzopen(gz.c_str(), "wb");
  gzwrite(f, text.str().data(), static_cast<unsigned>(text.str().size()));
  gzclose(f);
  auto r = run("check --data " + gz);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("rows: 8 valid, 0 invalid"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("zeek"), std::string::npos) << r.out;
  fs::remove_all(dir);
}

TEST(ZeekCliTest, DetectRunsOverAConnLog) {
  auto r = run("detect --model " + kSource + "/models/conn --data " + kData +
               "json/conn.json --format json 2>/dev/null");
  EXPECT_EQ(r.code, 0) << r.out;
}

TEST(ZeekCliTest, RunScoresAConnLogInsteadOfKafka) {
  const fs::path dir = fs::temp_directory_path() / ("fs-zeek-run-" + std::to_string(getpid()));
  fs::create_directories(dir);
  auto r = run("run --model " + kSource + "/models/conn --port 0 --store " +
               (dir / "r.db").string() + " --data " + kData + "tsv/conn.log");
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("worker reading file"), std::string::npos) << r.out;
  auto refused = run("run --model " + kSource + "/models/default --port 0 --store " +
                     (dir / "r.db").string() + " --data " + kData + "tsv/conn.log");
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_NE(refused.out.find("sttl"), std::string::npos) << refused.out;
  EXPECT_EQ(run("run --follow").code, 2);
  fs::remove_all(dir);
}

}  // namespace
