// Small generated data sets for the model tests: two separable-ish classes with a few
// categories, so training takes well under a second.
#pragma once

#include <random>
#include <vector>

#include "flow/flow_record.h"
#include "model/trainer.h"

namespace flowsentry::model::testing {

inline TrainingData synthetic_data(size_t rows, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  TrainingData d;
  const char* protos[] = {"tcp", "udp", "tcp", "arp", "ospf"};
  const char* services[] = {"-", "http", "dns", "ftp"};
  const char* states[] = {"FIN", "INT", "CON", "REQ"};
  for (size_t i = 0; i < rows; ++i) {
    flow::FlowRecord r;
    const bool attack = u(rng) < 0.4;
    // Classes: Normal, Generic, Exploits, DoS (indices 0, 1, 2, 4 of kAttackCategories).
    const int cat = attack ? (u(rng) < 0.5 ? 1 : (u(rng) < 0.7 ? 2 : 4)) : 0;
    for (auto& v : r.num) v = std::floor(u(rng) * 100);
    r[flow::kSttl] = attack ? (u(rng) < 0.9 ? 254 : 62) : (u(rng) < 0.9 ? 31 : 254);
    r[flow::kSbytes] = cat == 1 ? 100 + u(rng) * 20 : cat == 2 ? 5000 + u(rng) * 1000 : 800;
    r[flow::kDbytes] = cat == 4 ? 0 : 300;
    r[flow::kSpkts] = 2 + std::floor(u(rng) * 10);
    r.proto = protos[static_cast<size_t>(u(rng) * 5)];
    r.service = services[static_cast<size_t>(u(rng) * 4)];
    r.state = states[static_cast<size_t>(u(rng) * 4)];
    r.label = attack ? 1 : 0;
    r.attack_cat = std::string(flow::kAttackCategories[static_cast<size_t>(cat)]);
    r.id = static_cast<int64_t>(i + 1);
    d.rows.push_back(std::move(r));
  }
  d.files.push_back({"synthetic.csv", std::string(64, '0'), static_cast<int64_t>(rows)});
  return d;
}

inline TrainOptions fast_options() {
  TrainOptions o;
  o.max_rounds = 20;
  o.early_stopping_rounds = 5;
  o.max_depth = 3;
  o.cat_max_depth = 3;
  o.eta = 0.3;
  o.cat_eta = 0.3;
  o.nthread = 1;
  return o;
}

}  // namespace flowsentry::model::testing
