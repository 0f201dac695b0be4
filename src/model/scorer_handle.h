// ScorerHandle: the model in use, swapped while flows are being scored. A batch takes the pointer
// once (get()), so a batch in flight finishes on the model it started with and the next batch uses
// a newly set one; the old Scorer goes when its last batch lets go. An optional shadow model
// scores the same flows beside it for comparison (shadow.h) and never decides a verdict.
#pragma once

#include <atomic>
#include <memory>

#include "model/scorer.h"
#include "model/shadow.h"

namespace flowsentry::model {

class ScorerHandle {
 public:
  explicit ScorerHandle(std::shared_ptr<const Scorer> active = nullptr);
  // A handle over a Scorer someone else owns and keeps alive longer than the handle.
  static std::shared_ptr<const Scorer> borrow(const Scorer& scorer);

  std::shared_ptr<const Scorer> get() const { return active_.load(); }
  std::shared_ptr<const Scorer> shadow() const { return shadow_.load(); }
  // Both return the model they replace; the shadow statistics start again for the new pair.
  std::shared_ptr<const Scorer> set(std::shared_ptr<const Scorer> active);
  std::shared_ptr<const Scorer> set_shadow(std::shared_ptr<const Scorer> shadow);

  ShadowStats& shadow_stats() { return stats_; }
  const ShadowStats& shadow_stats() const { return stats_; }

 private:
  void restart_stats();

  std::atomic<std::shared_ptr<const Scorer>> active_;
  std::atomic<std::shared_ptr<const Scorer>> shadow_;
  ShadowStats stats_;
};

}  // namespace flowsentry::model
