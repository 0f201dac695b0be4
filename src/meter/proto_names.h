// IP protocol numbers to the names Argus prints (and UNSW-NB15's `proto` column carries).
#pragma once

#include <cstdint>
#include <string_view>

namespace flowsentry::meter {

std::string_view argus_proto_name(uint8_t proto);

}  // namespace flowsentry::meter
