// The backend-independent store test suite. Each backend's test file registers how to get a fresh,
// empty store URL and instantiates StoreTest with its name.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "model/verdict.h"
#include "store/store.h"

namespace flowsentry::store::testing {

// name -> function returning the URL of a new, empty store.
void register_backend(const std::string& name, std::function<std::string()> fresh_url);
std::string fresh_url(const std::string& backend);

// n flows with stime uniformly in [t0, t0 + span), keys source/0/offset0.., deterministic per seed.
std::vector<model::ScoredFlow> make_flows(size_t n, double t0, double span, uint32_t seed,
                                          const std::string& source = "test", int64_t offset0 = 0);

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Store> open(int retention_days = 7);
  std::unique_ptr<Store> reopen(const std::string& url, int retention_days = 7);
  std::string url_;
};

}  // namespace flowsentry::store::testing
