#include "api/tls.h"

#include <microhttpd.h>
#include <string.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

namespace flowsentry::api {
namespace {

constexpr size_t kMaxPemBytes = 1 << 20;  // a chain of a few certificates is a few KiB

Result<std::string> read_pem(const std::string& setting, const std::string& path,
                             std::string_view marker) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return make_error(ErrorCode::kNotFound,
                      "cannot read " + setting + " '" + path + "': " + std::strerror(errno));
  }
  std::string text;
  text.resize(kMaxPemBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > kMaxPemBytes) {
    return make_error(ErrorCode::kInvalidArgument,
                      setting + " '" + path + "' is larger than 1 MiB; expected a PEM file");
  }
  if (text.find("-----BEGIN ") == std::string::npos ||
      text.find(std::string(marker)) == std::string::npos) {
    return make_error(ErrorCode::kInvalidArgument,
                      setting + " '" + path + "' is not a PEM " +
                          (marker == "CERTIFICATE" ? "certificate" : "private key") +
                          " (no -----BEGIN " + std::string(marker) + "----- line)");
  }
  return text;
}

}  // namespace

TlsFiles::~TlsFiles() {
  if (!key_pem.empty()) explicit_bzero(key_pem.data(), key_pem.size());
}

bool tls_supported() {
  return MHD_is_feature_supported(MHD_FEATURE_TLS) == MHD_YES;
}

Result<std::optional<TlsFiles>> read_tls_files(const std::string& cert_path,
                                               const std::string& key_path) {
  if (cert_path.empty() && key_path.empty()) return std::optional<TlsFiles>{};
  if (cert_path.empty() || key_path.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("api.tls_cert and api.tls_key go together: ") +
                          (cert_path.empty() ? "api.tls_cert" : "api.tls_key") +
                          " is empty. Set both (PEM files) for HTTPS, or neither for HTTP");
  }
  auto cert = read_pem("api.tls_cert", cert_path, "CERTIFICATE");
  if (!cert) return cert.error();
  // "PRIVATE KEY" also matches "RSA PRIVATE KEY" and "EC PRIVATE KEY".
  auto key = read_pem("api.tls_key", key_path, "PRIVATE KEY");
  if (!key) return key.error();
  std::optional<TlsFiles> files(std::in_place);
  files->cert_pem = std::move(*cert);
  files->key_pem = std::move(*key);
  return files;
}

}  // namespace flowsentry::api
