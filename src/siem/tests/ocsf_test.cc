// OCSF output against the class 2004 JSON schema of OCSF 1.3, generated offline by the PyPI
// package ocsf-json-schema in a venv (scripts/siem_venv) and checked by Python's jsonschema
// (scripts/ocsf-check): not our own reading of the spec. Labelled fixture: it runs Python.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "common/testing/shell.h"

#include "siem/ocsf.h"
#include "siem/tests/samples.h"

namespace flowsentry::siem {
namespace {

using nlohmann::json;

std::string run(const std::string& cmd, int* status) {
  auto r = flowsentry::testing::shell_run(cmd);
  *status = r.code;
  return r.out;
}

std::string venv_python() {
  static const std::string python = [] {
    int status = -1;
    auto out = run(std::string(FLOWSENTRY_SOURCE_DIR) + "/scripts/siem_venv", &status);
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    return status == 0 ? out : std::string();
  }();
  return python;
}

// Exit status of ocsf-check over `docs`, and its output.
int check(const std::vector<json>& docs, std::string* output) {
  char path[] = "/tmp/ocsf_test_XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  {
    std::ofstream out(path);
    for (const auto& d : docs) out << d.dump() << "\n";
  }
  int status = -1;
  *output =
      run(venv_python() + " " + FLOWSENTRY_SOURCE_DIR + "/scripts/ocsf-check " + path + " 2>&1",
          &status);
  unlink(path);
  return status;
}

class OcsfTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (venv_python().empty()) GTEST_SKIP() << "scripts/siem_venv failed (no PyPI access?)";
  }
};

TEST_F(OcsfTest, AlertFindingsValidateAgainstTheClass2004SchemaOfOcsf13) {
  std::vector<json> docs;
  for (const auto& a : testing::sample_alerts()) docs.push_back(ocsf_finding(a));
  std::string output;
  EXPECT_EQ(check(docs, &output), 0) << output;
}

TEST_F(OcsfTest, TheSchemaCheckRejectsAFindingWithoutItsRequiredFields) {
  auto doc = ocsf_finding(testing::burst_alert());
  doc.erase("type_uid");
  doc["finding_info"].erase("uid");
  doc["severity_id"] = 42;
  std::string output;
  EXPECT_NE(check({doc}, &output), 0);
  EXPECT_NE(output.find("type_uid"), std::string::npos) << output;
  EXPECT_NE(output.find("uid"), std::string::npos) << output;
  EXPECT_NE(output.find("severity_id"), std::string::npos) << output;
}

TEST(OcsfFieldsTest, FindingCarriesClassActivitySeverityTimeAndHosts) {
  const auto f = ocsf_finding(testing::behaviour_alert());
  EXPECT_EQ(f["class_uid"], 2004);
  EXPECT_EQ(f["category_uid"], 2);
  EXPECT_EQ(f["type_uid"], 200401);
  EXPECT_EQ(f["severity_id"], 5);
  EXPECT_EQ(f["time"], 1764745300500);
  EXPECT_EQ(f["finding_info"]["types"], json::array({"port_scan"}));
  EXPECT_EQ(f["metadata"]["version"], "1.3.0");
  EXPECT_EQ(f["metadata"]["product"]["name"], "flowsentry");
  EXPECT_EQ(f["observables"].size(), 3u);
  EXPECT_EQ(f["evidences"][0]["src_endpoint"]["ip"], "10.0.0.5");
  EXPECT_EQ(f["evidences"][0]["dst_endpoint"]["port"], 443);
}

}  // namespace
}  // namespace flowsentry::siem
