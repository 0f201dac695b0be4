// Feature profiles: named sets of the flow fields a model may use. Routers (NetFlow/IPFIX) and
// Zeek conn.log carry fewer fields than UNSW-NB15, and some UNSW-NB15 fields (TTLs, windows)
// identify the testbed rather than the attack, so a model is trained for one profile and a
// source says which profile it fills. The table kProfiles (profile.cc) is the one place the
// profiles are declared; the model derives its feature columns from it.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "flow/flow_record.h"

namespace flowsentry::flow {

// The fields a profile names: every NumField, then the three categorical columns.
enum CategoryField : uint8_t { kProtoField = kNumFieldCount, kServiceField, kStateField };
inline constexpr size_t kFieldCount = kNumFieldCount + 3;
static_assert(kFieldCount <= 64, "FieldSet holds the fields in one 64-bit word");

// Column name of a field ("dur" ... "is_sm_ips_ports", "proto", "service", "state").
std::string_view field_name(size_t field);
// The field with that column name, or kFieldCount when there is none.
size_t field_by_name(std::string_view name);

// A set of fields, one bit each.
class FieldSet {
 public:
  constexpr FieldSet() = default;
  constexpr FieldSet(std::initializer_list<uint8_t> fields) {
    for (uint8_t f : fields) bits_ |= uint64_t{1} << f;
  }
  static constexpr FieldSet all() { return FieldSet((uint64_t{1} << kFieldCount) - 1); }

  constexpr bool has(size_t field) const { return field < 64 && (bits_ >> field & 1) != 0; }
  constexpr FieldSet without(FieldSet other) const { return FieldSet(bits_ & ~other.bits_); }
  constexpr FieldSet with(FieldSet other) const { return FieldSet(bits_ | other.bits_); }
  constexpr bool covers(FieldSet other) const { return (other.bits_ & ~bits_) == 0; }
  constexpr bool operator==(const FieldSet&) const = default;
  size_t size() const;
  // Column names in field order.
  std::vector<std::string_view> names() const;

 private:
  explicit constexpr FieldSet(uint64_t bits) : bits_(bits) {}
  uint64_t bits_ = 0;
};

struct Profile {
  std::string_view name;
  FieldSet fields;
  std::string_view doc;  // who fills it, and why the rest is left out
};

// full, portable, netflow, conn: each the fields a model of that profile may use.
extern const std::array<Profile, 4> kProfiles;

const Profile& full_profile();
// nullptr for an unknown name.
const Profile* profile_by_name(std::string_view name);
// "full, portable, netflow, conn", for help texts and errors.
std::string profile_names();

// Refuses, before any flow is scored, a model that needs fields the source does not fill:
// kIncompatible naming the missing fields and the profiles the source could be scored with.
// `source` names the source in the message ("file conn.log").
Status check_source_fills(const Profile& model, const Profile& source_fills,
                          std::string_view source);

}  // namespace flowsentry::flow
