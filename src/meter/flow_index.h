// The flow table's index: flow key hash → flow id, open addressing with linear probing over
// 8-byte slots, at most half full, deletion by backward shift (no tombstones). The meter
// hashes a key and its reverse alike, so one probe sequence finds a packet's flow whichever
// direction it travels (one lookup per packet instead of two hash-map finds).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace flowsentry::meter {

class FlowIndex {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // The first id in `hash`'s probe sequence whose stored hash is `hash` and for which
  // `match(id)` is true, or kAbsent.
  template <class Match>
  uint32_t find(uint32_t hash, Match&& match) const {
    if (slots_.empty()) return kAbsent;
    for (size_t i = hash & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.id == kAbsent) return kAbsent;
      if (s.hash == hash && match(s.id)) return s.id;
    }
  }

  void insert(uint32_t hash, uint32_t id);
  // Removes the slot holding `id` (stored under `hash`); nothing when it is not there.
  void erase(uint32_t hash, uint32_t id);

  size_t size() const { return size_; }
  size_t capacity() const { return slots_.size(); }
  static constexpr size_t kSlotBytes = 8;
  // Slots per entry just after the table doubled (the most it holds: it grows at half full).
  static constexpr size_t kMaxSlotsPerEntry = 4;

 private:
  struct Slot {
    uint32_t hash = 0;
    uint32_t id = kAbsent;
  };
  void grow();

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

}  // namespace flowsentry::meter
