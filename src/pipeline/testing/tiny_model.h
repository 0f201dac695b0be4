// For tests: a small model trained on generated traffic (no data set, a few seconds), and a
// fresh SQLite file that removes itself.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include "model/scorer.h"
#include "model/trainer.h"
#include "store/store.h"
#include "stream/generator.h"

namespace flowsentry::testing {

inline std::unique_ptr<model::Artifact> train_tiny_artifact(uint64_t seed = 7, int rows = 4000) {
  stream::GeneratorOptions g;
  g.seed = seed;
  g.scenario = stream::Scenario::kAttack;
  g.burst_every = 500;
  g.burst_len = 100;
  stream::FlowGenerator gen(g);
  model::TrainingData data;
  for (int i = 0; i < rows; ++i) data.rows.push_back(gen.next());
  model::TrainOptions opts;
  opts.max_rounds = 20;
  opts.early_stopping_rounds = 5;
  auto artifact = model::train(data, opts);
  if (!artifact.ok()) return nullptr;
  return std::move(artifact.value());
}

inline std::unique_ptr<model::Scorer> train_tiny_scorer(uint64_t seed = 7) {
  auto artifact = train_tiny_artifact(seed);
  if (!artifact) return nullptr;
  return std::make_unique<model::Scorer>(std::move(artifact), model::ScorerOptions{});
}

class TempDb {
 public:
  explicit TempDb(const std::string& name)
      : path_((std::filesystem::temp_directory_path() /
               ("fs_" + name + "_" + std::to_string(::getpid()) + ".db"))
                  .string()) {
    remove();
  }
  ~TempDb() { remove(); }
  const std::string& path() const { return path_; }

 private:
  void remove() {
    for (auto suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + suffix);
  }
  std::string path_;
};

}  // namespace flowsentry::testing
