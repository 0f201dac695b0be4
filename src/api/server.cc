#include "api/server.h"

#include <chrono>
#include <regex>
#include <set>

#include <httplib.h>

#include "api/http_util.h"
#include "api/routes.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#ifdef FLOWSENTRY_HAVE_WEB
#include "web/assets.h"
#endif

namespace flowsentry::api {
namespace {

auto& log() {
  static auto logger = module_logger("api");
  return logger;
}

// Endpoint label for metrics: the route, not the raw path, so ids do not explode cardinality.
std::string endpoint_of(const std::string& path) {
  static const std::set<std::string> known{"/",
                                           "/healthz",
                                           "/readyz",
                                           "/metrics",
                                           "/predict",
                                           "/alert-test",
                                           "/openapi.json",
                                           "/api/v1/summary",
                                           "/api/v1/series",
                                           "/api/v1/points",
                                           "/api/v1/kpis",
                                           "/api/v1/mix",
                                           "/api/v1/heatmap",
                                           "/api/v1/anomalies/recent",
                                           "/api/v1/anomalies/top",
                                           "/api/v1/drift",
                                           "/api/v1/alerts",
                                           "/api/v1/model"};
  if (known.count(path)) return path;
  static const std::regex alert_action(R"(^/api/v1/alerts/[^/]+/(ack|snooze)$)");
  std::smatch m;
  if (std::regex_match(path, m, alert_action)) return "/api/v1/alerts/{id}/" + m[1].str();
  if (path.starts_with("/assets/")) return "/assets";
  return "other";
}

// Methods each known route accepts, for 405 answers.
const std::map<std::string, std::string>& allowed_methods() {
  static const std::map<std::string, std::string> m{{"/healthz", "GET"},
                                                    {"/readyz", "GET"},
                                                    {"/metrics", "GET"},
                                                    {"/openapi.json", "GET"},
                                                    {"/predict", "POST"},
                                                    {"/alert-test", "POST"},
                                                    {"/api/v1/summary", "GET"},
                                                    {"/api/v1/series", "GET"},
                                                    {"/api/v1/points", "GET"},
                                                    {"/api/v1/kpis", "GET"},
                                                    {"/api/v1/mix", "GET"},
                                                    {"/api/v1/heatmap", "GET"},
                                                    {"/api/v1/anomalies/recent", "GET"},
                                                    {"/api/v1/anomalies/top", "GET"},
                                                    {"/api/v1/drift", "GET"},
                                                    {"/api/v1/alerts", "GET"},
                                                    {"/api/v1/model", "GET"},
                                                    {"/api/v1/alerts/{id}/ack", "POST"},
                                                    {"/api/v1/alerts/{id}/snooze", "POST"},
                                                    {"/", "GET"}};
  return m;
}

bool needs_token(const std::string& path) {
  return path == "/predict" || path == "/alert-test" || path.starts_with("/api/");
}

// Compares without an early exit, so the time taken does not reveal the token.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
  return diff == 0;
}

thread_local std::chrono::steady_clock::time_point t_request_start;

// cpp-httplib compresses with brotli at its slowest quality whenever a client offers `br`:
// 1.4 s for the 650 KB dashboard bundle, more for a large JSON answer. Offering it only gzip
// keeps compression and costs milliseconds. The request is httplib's own non-const object,
// handed to this hook as const.
void prefer_gzip(const httplib::Request& req) {
  auto it = req.headers.find("Accept-Encoding");
  if (it == req.headers.end() || it->second.find("br") == std::string::npos) return;
  const_cast<std::string&>(it->second) =
      it->second.find("gzip") != std::string::npos ? "gzip" : "identity";
}

}  // namespace

double wall_now() {
  return wall_seconds();
}

struct ApiServer::Impl {
  ApiOptions options;
  ApiContext context;
  httplib::Server server;

  void configure();
  void add_core_routes();
};

void ApiServer::Impl::configure() {
  const int threads = options.threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_payload_max_length(options.max_body_bytes);
  server.set_read_timeout(options.read_timeout_s, 0);
  server.set_write_timeout(options.read_timeout_s, 0);
  server.set_keep_alive_timeout(options.idle_timeout_s);
  server.set_keep_alive_max_count(100000);
  // Without it, small answers wait for the client's delayed ACK (Nagle): ~40 ms per request.
  server.set_tcp_nodelay(true);
  server.set_default_headers({{"X-Content-Type-Options", "nosniff"}});

  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    t_request_start = std::chrono::steady_clock::now();
    prefer_gzip(req);
    // Any method a known route does not declare (PUT, TRACE, ...) is 405 with Allow.
    auto allowed = allowed_methods().find(endpoint_of(req.path));
    if (allowed != allowed_methods().end() && req.method != allowed->second &&
        !(req.method == "HEAD" && allowed->second == "GET")) {
      res.set_header("Allow", allowed->second);
      send_error(res, 405, "method " + req.method + " is not allowed here; use " + allowed->second);
      return httplib::Server::HandlerResponse::Handled;
    }
    if (!options.token.empty() && needs_token(req.path)) {
      auto auth = req.get_header_value("Authorization");
      if (!auth.starts_with("Bearer ") || !same_secret(auth.substr(7), options.token)) {
        res.set_header("WWW-Authenticate", "Bearer");
        send_error(res, 401, "missing or wrong bearer token");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });

  // Every answer >= 400 without a body of ours gets the JSON error shape.
  server.set_error_handler(
      httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
        if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
        auto endpoint = endpoint_of(req.path);
        auto it = allowed_methods().find(endpoint);
        if (res.status == 404 && it != allowed_methods().end() && it->second != req.method) {
          res.status = 405;
          res.set_header("Allow", it->second);
          send_error(res, 405, "method " + req.method + " is not allowed here; use " + it->second);
        } else if (res.status == 413) {
          send_error(res, 413, "request body is too large");
        } else if (res.status == 404) {
          send_error(res, 404, "no such endpoint: " + req.path);
        } else {
          send_error(res, res.status, res.status < 500 ? "bad request" : "server error");
        }
        return httplib::Server::HandlerResponse::Handled;
      }));

  // A handler that throws is our bug, not the client's: log it, answer without internals.
  server.set_exception_handler(
      [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
        try {
          std::rethrow_exception(ep);
        } catch (const std::exception& e) {
          log()->error("{} {}: {}", req.method, req.path, e.what());
        } catch (...) {
          log()->error("{} {}: unknown exception", req.method, req.path);
        }
        send_error(res, 500, "internal error; see the server log");
      });

  // Counted before the response is written (the logger runs after), so a client that reads
  // /metrics right after its request sees that request counted.
  server.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    auto endpoint = endpoint_of(req.path);
    auto& registry = MetricsRegistry::global();
    registry
        .counter("flowsentry_http_requests_total", "HTTP requests by endpoint and status",
                 {{"endpoint", endpoint}, {"status", std::to_string(res.status)}})
        .inc();
    registry
        .histogram("flowsentry_http_request_seconds", "HTTP request latency by endpoint",
                   {{"endpoint", endpoint}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_request_start)
                     .count());
  });
}

void ApiServer::Impl::add_core_routes() {
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, {{"status", "ok"}});
  });
  server.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    if (!context.scorer) {
      send_json(res, {{"ready", false}, {"reason", "no model loaded"}}, 503);
      return;
    }
    nlohmann::json body{{"ready", true}, {"model_version", context.scorer->model_version()}};
    if (context.store) {
      store::Query q;
      q.from = wall_now();
      q.to = q.from + 1;
      if (auto n = context.store->count(q); !n.ok()) {
        send_json(res, {{"ready", false}, {"reason", "store unreachable: " + n.error().message}},
                  503);
        return;
      }
      body["store"] = std::string(context.store->backend());
    }
    send_json(res, body);
  });
  server.Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(MetricsRegistry::global().render(), "text/plain; version=0.0.4");
  });
  server.Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    send_json(res, openapi_document());
  });
  server.Post("/alert-test", [this](const httplib::Request&, httplib::Response& res) {
    if (!context.alert_test) {
      send_error(res, 503, "alerting is not configured in this process");
      return;
    }
    send_json(res, context.alert_test());
  });
#ifdef FLOWSENTRY_HAVE_WEB
  server.Get(R"(/|/index\.html|/assets/.+)",
             [](const httplib::Request& req, httplib::Response& res) {
               const auto* asset = web::find_asset(req.path);
               if (!asset) {
                 send_error(res, 404, "no such file: " + req.path);
                 return;
               }
               res.set_content(std::string(asset->body), std::string(asset->content_type));
             });
#endif
}

ApiServer::ApiServer(ApiOptions options, ApiContext context) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->context = std::move(context);
  impl_->configure();
  impl_->add_core_routes();
  add_predict_routes(impl_->server, impl_->context);
  add_query_routes(impl_->server, impl_->context);
}

ApiServer::~ApiServer() {
  stop();
}

Result<int> ApiServer::start() {
  auto& o = impl_->options;
  if (o.port == 0) {
    port_ = impl_->server.bind_to_any_port(o.host);
  } else {
    port_ = impl_->server.bind_to_port(o.host, o.port) ? o.port : -1;
  }
  if (port_ <= 0) {
    return make_error(ErrorCode::kUnavailable,
                      "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                          " (in use, or not an address of this machine); choose another --port");
  }
  thread_ = std::thread([this] { impl_->server.listen_after_bind(); });
  for (int i = 0; i < 5000 && !impl_->server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  log()->info("listening on http://{}:{}", o.host, port_);
  return port_;
}

void ApiServer::stop() {
  impl_->server.stop();
  if (thread_.joinable()) thread_.join();
}

}  // namespace flowsentry::api
