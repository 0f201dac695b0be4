// ApiServer: the HTTP face of flowsentry — probes, /predict, /metrics, the dashboard's queries,
// the OpenAPI document and the embedded dashboard. Handlers only translate HTTP to calls on the
// scorer, the store and the hooks below; the logic lives in those modules.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "model/scorer.h"
#include "model/scorer_handle.h"
#include "store/store.h"

namespace flowsentry::api {

struct ApiOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 picks a free port
  size_t max_body_bytes = 8u << 20;
  // Requests are read and written by one event loop per core (libmicrohttpd, epoll), which
  // also answers the quick ones: probes, /metrics, /predict with a small body. The slow work
  // (explained or large /predict calls, alert tests) runs on `threads` workers; /readyz, the
  // dashboard's queries and static files on their own `query_threads`, so neither can starve
  // the other.
  int threads = 16;
  int query_threads = 4;
  int loops = 0;  // 0: one per core
  int max_connections = 1024;
  int max_connections_per_client = 64;  // per client IP address; 0 = no limit
  std::string token;               // bearer token for /predict, /alert-test and /api/; empty = open
  bool insecure_no_token = false;  // allow a non-loopback host with an empty token
  // Host header names accepted (any port); `host` is added. "*" accepts any.
  std::vector<std::string> allowed_hosts = {"localhost", "127.0.0.1", "[::1]"};
  int idle_timeout_s = 10;     // a connection silent this long, mid-request or between, is closed
  int request_timeout_s = 30;  // to send a whole request, from connecting or the last answer
  size_t max_explain_flows = 1000;  // flows in one explained /predict call
  bool access_log = false;          // one "access" log line per request
  // PEM files for HTTPS (api.tls_cert, api.tls_key): both or neither; empty = plain HTTP.
  std::string tls_cert;
  std::string tls_key;
};

// "a, b,c" -> {"a", "b", "c"}: the form of api.allowed_hosts.
std::vector<std::string> split_list(std::string_view text);

// What the server reads; everything but the scorer may be missing (then the endpoints that
// need it answer 503 with the reason).
struct ApiContext {
  const model::Scorer* scorer = nullptr;
  // When set, the model in use now (hot reload) and its shadow; `scorer` is then ignored.
  model::ScorerHandle* models = nullptr;
  store::Store* store = nullptr;
  // Sends a test alert through every notifier: {"results": [{"notifier","ok","detail"}]}.
  std::function<nlohmann::json()> alert_test;
  // Live pipeline figures for /api/v1/summary: {"received","rejected","flows_per_second",
  // "latency_p95_ms","drift_status"}.
  std::function<nlohmann::json()> pipeline_status;

  // The model to answer with: held by the caller for the whole request.
  std::shared_ptr<const model::Scorer> current_scorer() const {
    if (models) return models->get();
    return scorer ? model::ScorerHandle::borrow(*scorer) : nullptr;
  }
};

class ApiServer {
 public:
  ApiServer(ApiOptions options, ApiContext context);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // Binds and starts serving on a background thread. Returns the bound port.
  Result<int> start();
  void stop();
  int port() const { return port_; }
  // "https" when serving TLS, else "http".
  const char* scheme() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// The OpenAPI 3.1 description of every endpoint.
const nlohmann::json& openapi_document();

}  // namespace flowsentry::api
