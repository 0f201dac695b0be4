// Templates of NetFlow v9 (RFC 3954) and IPFIX (RFC 7011): per exporter session (exporter
// address, version, observation domain / source id), each template's fields turned once into
// decoding steps, so a data record is read without looking up element ids again.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

namespace flowsentry::collect {

// What a field of a data record fills; kSkip for everything else (enterprise-specific fields
// other than RFC 5103's reverse elements, options, interfaces, TOS, ...).
enum class FieldUse : uint8_t {
  kSkip,
  kBytes,
  kPackets,
  kRevBytes,
  kRevPackets,
  kProto,
  kTcpFlags,
  kRevTcpFlags,
  kSrcPort,
  kDstPort,
  kSrc4,
  kDst4,
  kSrc6,
  kDst6,
  kIcmpTypeCode,
  kStartUptimeMs,  // v9 FIRST_SWITCHED / IPFIX flowStartSysUpTime
  kEndUptimeMs,
  kStartSec,
  kEndSec,
  kStartMs,
  kEndMs,
  kStartNtp,  // dateTimeMicroseconds / dateTimeNanoseconds (NTP format)
  kEndNtp,
  kSysInitMs,  // IPFIX systemInitTimeMilliseconds: the base of the uptime fields
};

inline constexpr uint16_t kVariableLength = 65535;  // IPFIX variable-length field
inline constexpr uint32_t kReversePen = 29305;      // RFC 5103 reverse information elements

struct TemplateField {
  FieldUse use = FieldUse::kSkip;
  uint16_t length = 0;  // kVariableLength: a length prefix in the record
};

struct Template {
  std::vector<TemplateField> fields;
  size_t min_length = 0;  // bytes of the fixed fields plus one per variable-length field
  bool variable = false;
  bool options = false;  // an options template: its records are skipped
};

// The use of information element `id` (enterprise `pen`, 0 for IANA) of `length` bytes; kSkip
// when the length does not fit what the element holds.
FieldUse field_use(uint16_t id, uint32_t pen, uint16_t length);

// The templates of one exporter session, bounded in count.
class TemplateSet {
 public:
  explicit TemplateSet(size_t max_templates) : max_(max_templates) {}
  // False when the set is full (the template is not stored).
  bool put(uint16_t id, Template t);
  void withdraw(uint16_t id) { by_id_.erase(id); }
  void withdraw_all(bool options);
  const Template* find(uint16_t id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : &it->second;
  }
  size_t size() const { return by_id_.size(); }

 private:
  size_t max_;
  std::unordered_map<uint16_t, Template> by_id_;
};

}  // namespace flowsentry::collect
