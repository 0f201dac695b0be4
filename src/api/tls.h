// HTTPS for the API: the PEM certificate and key (api.tls_cert, api.tls_key) read for
// libmicrohttpd, which serves TLS through GnuTLS.
#pragma once

#include <optional>
#include <string>

#include "common/result.h"

namespace flowsentry::api {

// The files' contents; the key is wiped from memory when this goes away.
struct TlsFiles {
  std::string cert_pem;
  std::string key_pem;

  TlsFiles() = default;
  TlsFiles(const TlsFiles&) = delete;
  TlsFiles& operator=(const TlsFiles&) = delete;
  TlsFiles(TlsFiles&&) = default;
  TlsFiles& operator=(TlsFiles&&) = default;
  ~TlsFiles();
};

// Both paths empty: plain HTTP (nullopt). Both set: the two PEM files, checked to be readable,
// at most 1 MiB and PEM. One without the other is an error naming the missing setting. Errors
// name the file, never its contents.
Result<std::optional<TlsFiles>> read_tls_files(const std::string& cert_path,
                                               const std::string& key_path);

// Whether this libmicrohttpd was built with TLS (Debian's is, with GnuTLS).
bool tls_supported();

}  // namespace flowsentry::api
