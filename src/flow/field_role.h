// What a CSV column or JSON key holds, for the codecs (internal to src/flow): a numeric feature
// by its NumField index (>= 0), or one of the roles below.
#pragma once

namespace flowsentry::flow {

enum FieldRole : int {
  kIgnore = -1,
  kProto = -2,
  kService = -3,
  kState = -4,
  kId = -5,
  kStime = -6,
  kAttackCat = -7,
  kLabel = -8,
  kLtime = -9,
  kSrcip = -10,
  kSport = -11,
  kDstip = -12,
  kDsport = -13,
  kArpSha = -14,
  kArpTha = -15,
};

}  // namespace flowsentry::flow
