// Generic webhook: POSTs each record (a JSON document) with an HMAC-SHA256 signature.
//   X-Flowsentry-Timestamp: <unix seconds>
//   X-Flowsentry-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<body>")>
// The signed string is the timestamp header's exact value, one '.', then the raw body bytes,
// so a receiver recomputes it from what it got and rejects old timestamps (replay). Without a
// secret no signature header is sent. Extra headers are added as configured.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "siem/transport.h"

namespace flowsentry::siem {

struct WebhookOptions {
  std::string url;  // a secret: never logged
  std::string secret;
  std::vector<std::pair<std::string, std::string>> headers;
  double timeout_s = 5;
};

// The signature header's value for `body` sent at `timestamp`: "sha256=<64 hex digits>".
std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body);

// `clock` gives the timestamp (seconds since the epoch); tests pin it.
std::unique_ptr<Transport> make_webhook_transport(WebhookOptions options,
                                                  double (*clock)() = nullptr);

}  // namespace flowsentry::siem
