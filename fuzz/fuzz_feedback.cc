// Fuzzes what feedback and suppression rules read: stored feature vectors (decode_features; what
// decodes must encode back to the same bytes' meaning), rule address blocks, and the facts an
// alert payload yields (bounded walk over hostile JSON).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

#include <nlohmann/json.hpp>

#include "detect/suppression.h"
#include "store/feedback.h"

using namespace flowsentry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (auto f = store::decode_features(text); f.ok()) {
    auto again = store::decode_features(store::encode_features(*f));
    if (!again.ok() || again->proto != f->proto || again->service != f->service ||
        again->state != f->state ||
        std::memcmp(again->num.data(), f->num.data(), sizeof(double) * f->num.size()) != 0) {
      std::abort();
    }
  }
  if (auto b = detect::parse_address_block(text); b && !(b->lo <= b->hi)) std::abort();
  detect::Alert a;
  a.type = "anomaly";
  a.context = text.substr(0, 40);
  a.payload = nlohmann::json::parse(text, nullptr, false);
  if (a.payload.is_discarded()) return 0;
  detect::Suppressions rules;
  detect::SuppressionRule r;
  r.id = 1;
  r.src = "10.0.0.0/8";
  r.port = 22;
  r.expires = 2e9;
  rules.set({r});
  (void)rules.match(a, 1e9);
  return 0;
}
