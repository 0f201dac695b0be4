#include "collect/templates.h"

namespace flowsentry::collect {
namespace {

bool is_count(uint16_t length) {
  return length >= 1 && length <= 8;
}

FieldUse iana_use(uint16_t id, uint16_t length) {
  switch (id) {
    case 1:   // octetDeltaCount
    case 85:  // octetTotalCount
      return is_count(length) ? FieldUse::kBytes : FieldUse::kSkip;
    case 2:   // packetDeltaCount
    case 86:  // packetTotalCount
      return is_count(length) ? FieldUse::kPackets : FieldUse::kSkip;
    case 4:
      return length == 1 ? FieldUse::kProto : FieldUse::kSkip;
    case 6:  // 1 byte in v9, 2 in IPFIX (RFC 7125)
      return length <= 2 ? FieldUse::kTcpFlags : FieldUse::kSkip;
    case 7:
      return length == 2 ? FieldUse::kSrcPort : FieldUse::kSkip;
    case 11:
      return length == 2 ? FieldUse::kDstPort : FieldUse::kSkip;
    case 8:
      return length == 4 ? FieldUse::kSrc4 : FieldUse::kSkip;
    case 12:
      return length == 4 ? FieldUse::kDst4 : FieldUse::kSkip;
    case 27:
      return length == 16 ? FieldUse::kSrc6 : FieldUse::kSkip;
    case 28:
      return length == 16 ? FieldUse::kDst6 : FieldUse::kSkip;
    case 32:   // icmpTypeCodeIPv4
    case 139:  // icmpTypeCodeIPv6
      return length == 2 ? FieldUse::kIcmpTypeCode : FieldUse::kSkip;
    case 22:
      return length == 4 ? FieldUse::kStartUptimeMs : FieldUse::kSkip;
    case 21:
      return length == 4 ? FieldUse::kEndUptimeMs : FieldUse::kSkip;
    case 150:
      return length == 4 ? FieldUse::kStartSec : FieldUse::kSkip;
    case 151:
      return length == 4 ? FieldUse::kEndSec : FieldUse::kSkip;
    case 152:
      return length == 8 ? FieldUse::kStartMs : FieldUse::kSkip;
    case 153:
      return length == 8 ? FieldUse::kEndMs : FieldUse::kSkip;
    case 154:
    case 156:
      return length == 8 ? FieldUse::kStartNtp : FieldUse::kSkip;
    case 155:
    case 157:
      return length == 8 ? FieldUse::kEndNtp : FieldUse::kSkip;
    case 160:
      return length == 8 ? FieldUse::kSysInitMs : FieldUse::kSkip;
    default:
      return FieldUse::kSkip;
  }
}

}  // namespace

FieldUse field_use(uint16_t id, uint32_t pen, uint16_t length) {
  if (pen == 0) return iana_use(id, length);
  if (pen != kReversePen) return FieldUse::kSkip;
  switch (iana_use(id, length)) {
    case FieldUse::kBytes:
      return FieldUse::kRevBytes;
    case FieldUse::kPackets:
      return FieldUse::kRevPackets;
    case FieldUse::kTcpFlags:
      return FieldUse::kRevTcpFlags;
    default:
      return FieldUse::kSkip;
  }
}

bool TemplateSet::put(uint16_t id, Template t) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) {
    it->second = std::move(t);  // a refresh or a redefinition replaces the old one
    return true;
  }
  if (by_id_.size() >= max_) return false;
  by_id_.emplace(id, std::move(t));
  return true;
}

void TemplateSet::withdraw_all(bool options) {
  std::erase_if(by_id_, [options](const auto& kv) { return kv.second.options == options; });
}

}  // namespace flowsentry::collect
