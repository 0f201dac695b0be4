#include "meter/flow_index.h"

namespace flowsentry::meter {

void FlowIndex::insert(uint32_t hash, uint32_t id) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  size_t i = hash & mask_;
  while (slots_[i].id != kAbsent) i = (i + 1) & mask_;
  slots_[i] = {hash, id};
  ++size_;
}

void FlowIndex::erase(uint32_t hash, uint32_t id) {
  if (slots_.empty()) return;
  size_t i = hash & mask_;
  while (slots_[i].id != id) {
    if (slots_[i].id == kAbsent) return;
    i = (i + 1) & mask_;
  }
  // Backward shift: move up every later entry of the run that may live at the hole, so
  // lookups never meet a gap before their entry.
  for (size_t j = (i + 1) & mask_;; j = (j + 1) & mask_) {
    if (slots_[j].id == kAbsent) break;
    const size_t home = slots_[j].hash & mask_;
    // The entry at j stays when its home lies cyclically in (i, j].
    const bool stays = i <= j ? (i < home && home <= j) : (i < home || home <= j);
    if (stays) continue;
    slots_[i] = slots_[j];
    i = j;
  }
  slots_[i] = Slot{};
  --size_;
}

void FlowIndex::grow() {
  // 32-bit hashes address at most 2^32 slots; the meter keeps at most 2^31 flows.
  const size_t cap = slots_.empty() ? 1024 : slots_.size() * 2;
  std::vector<Slot> old(cap);
  old.swap(slots_);
  mask_ = cap - 1;
  for (const Slot& s : old) {
    if (s.id == kAbsent) continue;
    size_t i = s.hash & mask_;
    while (slots_[i].id != kAbsent) i = (i + 1) & mask_;
    slots_[i] = s;
  }
}

}  // namespace flowsentry::meter
