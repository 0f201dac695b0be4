// `flowsentry train --feedback`: flows an analyst marked as false positives, stored with their
// features, are learnt from, and the newest of them (held out) are flagged less afterwards.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "common/testing/shell.h"
#include "model/scorer.h"
#include "store/store.h"
#include "stream/generator.h"

namespace flowsentry {
namespace {

namespace fsys = std::filesystem;

// Labelled training CSV of generated traffic: normal flows with attack bursts.
void write_training_csv(const std::string& path) {
  stream::GeneratorOptions g;
  g.seed = 11;
  g.scenario = stream::Scenario::kAttack;
  g.burst_every = 500;
  g.burst_len = 100;
  stream::FlowGenerator gen(g);
  std::string out = "proto,service,state";
  for (const auto& f : flow::kNumFields) out += fmt::format(",{}", f.name);
  out += ",attack_cat,label\n";
  for (int i = 0; i < 3000; ++i) {
    auto f = gen.next();
    out += fmt::format("{},{},{}", f.proto, f.service, f.state);
    for (double v : f.num) out += fmt::format(",{}", v);
    out += fmt::format(",{},{}\n", f.attack_cat.value_or("Normal"), f.label.value_or(0));
  }
  std::ofstream(path) << out;
}

std::string run(const std::string& args) {
  auto r = testing::shell_run(std::string(FLOWSENTRY_BINARY) + " " + args + " 2>/dev/null");
  EXPECT_EQ(r.code, 0) << args << "\n" << r.out;
  return r.out;
}

TEST(TrainFeedbackTest, HeldOutFalsePositivesAreFlaggedLessAfterRetraining) {
  const auto dir = fsys::temp_directory_path() / fmt::format("fs_trainfb_{}", ::getpid());
  fsys::remove_all(dir);
  fsys::create_directories(dir);
  const auto csv = (dir / "train.csv").string();
  const auto before = (dir / "before").string();
  const auto after = (dir / "after").string();
  const auto db = (dir / "store.db").string();
  write_training_csv(csv);
  const std::string quick = "--max-rounds 30 --patience 5 --threads 1";
  run(fmt::format("train --data {} --out {} {}", csv, before, quick));

  // Traffic the model flags but the site expects (generated attacks with a site-specific
  // signature): the analyst marks 200 of them false positives.
  auto scorer = model::Scorer::load(before);
  ASSERT_TRUE(scorer.ok()) << scorer.error().to_string();
  stream::GeneratorOptions g;
  g.seed = 99;
  stream::FlowGenerator gen(g);
  std::vector<model::ScoredFlow> flows;
  for (int i = 0; flows.size() < 200 && i < 5000; ++i) {
    model::ScoredFlow sf;
    sf.flow = gen.next_attack();
    // What makes them this site's own: a backup job's fixed segment sizes.
    sf.flow[flow::kSmean] = 1111;
    sf.flow[flow::kDmean] = 77;
    sf.flow.stime = 1772323200 + i;
    sf.flow.key = {"site", 0, i};
    std::vector<model::Verdict> v;
    ASSERT_TRUE((*scorer)->score(std::span(&sf.flow, 1), v).ok());
    sf.verdict = v[0];
    if (sf.verdict.label == 1) flows.push_back(sf);
  }
  ASSERT_EQ(flows.size(), 200u);
  {
    auto store = store::open_store(db);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    ASSERT_TRUE((*store)->write(flows).ok());
    for (size_t i = 0; i < flows.size(); ++i) {
      store::Feedback fb;
      fb.flow_id = store::encode_flow_id(*flows[i].flow.stime, flows[i].flow.key);
      fb.label = store::FeedbackLabel::kFalsePositive;
      fb.analyst = "ana";
      fb.created = 1772330000 + static_cast<double>(i);  // in order: the last 40 are held out
      ASSERT_TRUE((*store)->add_feedback(fb).ok());
    }
  }
  auto out = run(fmt::format("train --data {} --out {} {} --feedback {} --feedback-before {}", csv,
                             after, quick, db, before));
  const auto at = out.find("{\"feedback\"");
  ASSERT_NE(at, std::string::npos) << out;
  auto report = nlohmann::json::parse(out.substr(at), nullptr, false);
  ASSERT_TRUE(report.is_object()) << out;
  const auto& r = report["feedback"];
  std::cout << "hold-out report: " << r.dump() << "\n";
  EXPECT_EQ(r["holdout"], 40);
  EXPECT_EQ(r["before"]["false_positives_labelled"], 40);
  EXPECT_EQ(r["before"]["still_flagged"], 40);  // all were alerts of the model before
  EXPECT_LT(r["after"]["still_flagged"].get<int>(), 8) << r.dump();  // >= 80 % fewer
  // Attacks without the site's signature are still alerted by the retrained model.
  auto retrained = model::Scorer::load(after);
  ASSERT_TRUE(retrained.ok()) << retrained.error().to_string();
  int flagged_before = 0, flagged_after = 0;
  for (int i = 0; i < 200; ++i) {
    auto f = gen.next_attack();
    std::vector<model::Verdict> b, a;
    ASSERT_TRUE((*scorer)->score(std::span(&f, 1), b).ok());
    ASSERT_TRUE((*retrained)->score(std::span(&f, 1), a).ok());
    if (b[0].label != 1) continue;
    ++flagged_before;
    flagged_after += a[0].label;
  }
  std::cout << "attacks flagged: " << flagged_before << " before, " << flagged_after << " after\n";
  ASSERT_GT(flagged_before, 100);
  EXPECT_GE(flagged_after, flagged_before * 9 / 10);
  fsys::remove_all(dir);
}

}  // namespace
}  // namespace flowsentry
