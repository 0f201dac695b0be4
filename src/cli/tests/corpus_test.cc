// The labelled capture corpus (src/cli/tests/data/corpus, made by scripts/make_corpus with real
// tools in network namespaces) through the commands a user runs:
// - `detect` on every capture: each attack capture raises each of its expected kinds, and no
//   normal capture raises an alert of warning severity or above;
// - `calibrate` on the separate calibration capture: the model's flow-level false-positive rate
//   on the normal captures is at most 1 %, with its recall on the attack captures beside it.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include "common/testing/shell.h"

namespace {

namespace fs = std::filesystem;

const std::string kBin = FLOWSENTRY_BINARY;
const fs::path kCorpus = fs::path(FLOWSENTRY_SOURCE_DIR) / "src/cli/tests/data/corpus";
const std::string kModel = std::string(FLOWSENTRY_SOURCE_DIR) + "/models/default";

std::pair<int, std::string> run(const std::string& cmd) {
  auto r = flowsentry::testing::shell_run(cmd);
  return {r.code, r.out};
}

struct Capture {
  std::string file;
  std::set<std::string> kinds;  // empty: normal traffic
  bool calibration = false;     // the known-good sample calibrate learns from
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

// labels.csv: capture,kinds,description,use — read by header. kinds are separated by ';'
// (empty for normal traffic); use is "test" or "calibration" (the sample calibrate learns from).
std::vector<Capture> labels() {
  std::vector<Capture> out;
  std::ifstream in(kCorpus / "labels.csv");
  std::string line;
  std::getline(in, line);
  const auto header = split(line, ',');
  auto column = [&](const std::string& name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const size_t file_col = column("capture"), kinds_col = column("kinds"), use_col = column("use");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto cols = split(line, ',');
    auto at = [&](size_t i) { return i < cols.size() ? cols[i] : std::string(); };
    Capture c;
    c.file = at(file_col);
    c.calibration = at(use_col) == "calibration";
    for (const auto& k : split(at(kinds_col), ';')) {
      if (!k.empty()) c.kinds.insert(k);
    }
    out.push_back(c);
  }
  return out;
}

struct Raised {
  std::set<std::string> kinds;  // of warning severity or above
  std::string lines;            // for failure messages
};

Raised detect(const std::string& file) {
  auto [code, out] = run(kBin + " detect --model " + kModel + " --format json --data " +
                         (kCorpus / file).string() + " 2>/dev/null");
  EXPECT_EQ(code, 0) << file;
  Raised r;
  for (const auto& line : split(out, '\n')) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    if (j.value("severity", "") == "info") continue;
    r.kinds.insert(j.value("kind", j.value("type", "")));
    r.lines += line.substr(0, 300) + "\n";
  }
  return r;
}

TEST(CorpusTest, EveryAttackRaisesItsKindAndNormalTrafficRaisesNothing) {
  auto captures = labels();
  ASSERT_GE(captures.size(), 10u) << "no corpus at " << kCorpus;
  int attacks = 0, normals = 0;
  for (const auto& c : captures) {
    if (c.calibration) continue;
    auto raised = detect(c.file);
    if (c.kinds.empty()) {
      ++normals;
      EXPECT_TRUE(raised.kinds.empty()) << c.file << " is normal traffic but raised:\n"
                                        << raised.lines;
      continue;
    }
    ++attacks;
    for (const auto& kind : c.kinds) {
      EXPECT_TRUE(raised.kinds.count(kind)) << c.file << " did not raise " << kind << "; raised:\n"
                                            << raised.lines;
    }
  }
  EXPECT_GT(attacks, 0);
  EXPECT_GT(normals, 0);
}

struct Calibrated {
  double fpr = 1, recall = 0;
  std::string out;
};

// Calibrates `model` on the calibration capture (1 % target, 95 % confidence) with the other
// normal captures held out and the attack captures beside them; the rates it records.
Calibrated calibrate(const std::string& model) {
  std::string calibration, normal_args, attack_args;
  for (const auto& c : labels()) {
    const auto path = (kCorpus / c.file).string();
    if (c.calibration) {
      calibration = path;
    } else if (c.kinds.empty()) {
      normal_args += " --normal-data " + path;
    } else {
      attack_args += " --attack-data " + path;
    }
  }
  EXPECT_FALSE(calibration.empty()) << "labels.csv marks no calibration capture";
  const auto out_dir = fs::temp_directory_path() /
                       ("corpus_" + fs::path(model).filename().string() + std::to_string(getpid()));
  auto [code, out] = run(kBin + " calibrate --model " + model + " --data " + calibration +
                         " --out " + out_dir.string() + " --target-rate 0.01 --site corpus" +
                         normal_args + attack_args + " 2>&1");
  EXPECT_EQ(code, 0) << out;
  std::cout << model << ":\n" << out;  // the numbers the notes and docs quote
  Calibrated r;
  r.out = out;
  std::ifstream meta_in(out_dir / "meta.json");
  auto meta = nlohmann::json::parse(meta_in, nullptr, false);
  if (meta.is_discarded() || !meta.contains("calibration")) return r;
  const auto& c = meta["calibration"];
  EXPECT_GT(c["normal_flows"].get<int64_t>(), 50);
  EXPECT_GT(c["attack_flows"].get<int64_t>(), 1000);
  r.fpr = c["normal_fpr_after"].get<double>();
  r.recall = c["attack_recall_after"].get<double>();
  fs::remove_all(out_dir);
  return r;
}

// After calibration on the site's own known-good traffic, the model flags at most 1 % of the
// held-out normal flows. The full UNSW-NB15 model gets there only by a threshold above nearly
// every flow (its recall is reported, not asserted); the netflow-profile model, without the
// testbed's TTL and window artefacts, keeps catching a share of the attack flows.
TEST(CorpusTest, CalibrationBringsTheModelsFalsePositivesOnNormalCapturesUnderOnePercent) {
  auto full = calibrate(kModel);
  EXPECT_LE(full.fpr, 0.01) << full.out;
  auto netflow = calibrate(std::string(FLOWSENTRY_SOURCE_DIR) + "/models/netflow");
  EXPECT_LE(netflow.fpr, 0.01) << netflow.out;
  EXPECT_GE(netflow.recall, 0.10) << netflow.out;
}

}  // namespace
