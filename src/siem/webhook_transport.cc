#include "siem/webhook_transport.h"

#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cmath>
#include <mutex>

#include <fmt/format.h>

#include "common/clock.h"
#include "common/version.h"

namespace flowsentry::siem {
namespace {

size_t discard(char*, size_t size, size_t n, void*) {
  return size * n;
}

class WebhookTransport : public Transport {
 public:
  WebhookTransport(WebhookOptions o, double (*clock)()) : opt_(std::move(o)), clock_(clock) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  }

  Delivery deliver(const std::string& body) override {
    const double now = clock_ ? clock_() : wall_seconds();
    const std::string ts = fmt::format("{}", static_cast<int64_t>(std::floor(now)));
    curl_slist* h = curl_slist_append(nullptr, "Content-Type: application/json");
    h = curl_slist_append(h, ("X-Flowsentry-Timestamp: " + ts).c_str());
    if (!opt_.secret.empty()) {
      h = curl_slist_append(
          h, ("X-Flowsentry-Signature: " + webhook_signature(opt_.secret, ts, body)).c_str());
    }
    for (const auto& [name, value] : opt_.headers) {
      h = curl_slist_append(h, (name + ": " + value).c_str());
    }
    CURL* curl = curl_easy_init();
    if (!curl) {
      curl_slist_free_all(h);
      return {false, true, "could not create a libcurl handle"};
    }
    curl_easy_setopt(curl, CURLOPT_URL, opt_.url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(opt_.timeout_s * 1000));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, kUserAgent);
    const CURLcode code = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    if (code != CURLE_OK) {
      // curl_easy_strerror names the failure without the URL (a secret).
      return {false, code != CURLE_UNSUPPORTED_PROTOCOL && code != CURLE_URL_MALFORMAT,
              fmt::format("webhook: {}", curl_easy_strerror(code))};
    }
    if (status >= 200 && status < 300) return {true, false, {}};
    return {false, status >= 500 || status == 429 || status == 408,
            fmt::format("webhook: HTTP {}", status)};
  }

 private:
  WebhookOptions opt_;
  double (*clock_)();
};

}  // namespace

std::string webhook_signature(const std::string& secret, const std::string& timestamp,
                              const std::string& body) {
  const std::string signed_text = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(signed_text.data()), signed_text.size(), mac, &len);
  std::string out = "sha256=";
  for (unsigned int i = 0; i < len; ++i) out += fmt::format("{:02x}", mac[i]);
  return out;
}

std::unique_ptr<Transport> make_webhook_transport(WebhookOptions options, double (*clock)()) {
  return std::make_unique<WebhookTransport>(std::move(options), clock);
}

}  // namespace flowsentry::siem
