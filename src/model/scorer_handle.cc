#include "model/scorer_handle.h"

namespace flowsentry::model {

ScorerHandle::ScorerHandle(std::shared_ptr<const Scorer> active) : active_(std::move(active)) {
  restart_stats();
}

std::shared_ptr<const Scorer> ScorerHandle::borrow(const Scorer& scorer) {
  return std::shared_ptr<const Scorer>(&scorer, [](const Scorer*) {});
}

std::shared_ptr<const Scorer> ScorerHandle::set(std::shared_ptr<const Scorer> active) {
  auto old = active_.exchange(std::move(active));
  restart_stats();
  return old;
}

std::shared_ptr<const Scorer> ScorerHandle::set_shadow(std::shared_ptr<const Scorer> shadow) {
  auto old = shadow_.exchange(std::move(shadow));
  restart_stats();
  return old;
}

void ScorerHandle::restart_stats() {
  auto a = get();
  auto s = shadow();
  stats_.restart(a ? a->model_version() : "", s ? s->model_version() : "");
}

}  // namespace flowsentry::model
