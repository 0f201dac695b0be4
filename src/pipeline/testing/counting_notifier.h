// For tests: a notifier that accepts every alert and counts them in a caller's counter.
#pragma once

#include <atomic>
#include <string>

#include "detect/dispatcher.h"

namespace flowsentry::testing {

class CountingNotifier final : public detect::Notifier {
 public:
  explicit CountingNotifier(std::atomic<int>& sent) : sent_(sent) {}
  const std::string& name() const override { return name_; }
  detect::SendResult send(const detect::Alert&) override {
    ++sent_;
    return {true, false, 200, {}};
  }

 private:
  std::atomic<int>& sent_;
  std::string name_ = "counting";
};

}  // namespace flowsentry::testing
