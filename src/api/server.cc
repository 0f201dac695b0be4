#include "api/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>

#include "api/http.h"
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

bool needs_token(const std::string& path) {
  return path == "/predict" || path == "/alert-test" || path.starts_with("/api/");
}

// Compares without an early exit, so the time taken does not reveal the token.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= a[i] ^ b[i % (b.empty() ? 1 : b.size())];
  return diff == 0;
}

// One request in flight on a connection: libmicrohttpd hands its body over in pieces.
struct Exchange {
  Request req;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  bool too_large = false;
  size_t received = 0;            // body bytes read so far
  bool answered = false;          // a response is queued (a 413 may be, before the body is read)
  std::optional<Response> ready;  // set by a worker before it resumes the connection
  std::string endpoint;
};

// Runs the requests that would hold an event loop too long. Bounded: `size` threads.
class Workers {
 public:
  explicit Workers(int size) {
    for (int i = 0; i < std::max(1, size); ++i) threads_.emplace_back([this] { run(); });
  }
  ~Workers() { stop(); }

  // False once stopping: the caller then runs the task itself.
  bool post(std::function<void()> task) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    tasks_.push_back(std::move(task));
    wake_.notify_one();
    return true;
  }

  // Runs what is queued, then joins.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

 private:
  void run() {
    for (;;) {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      lock.unlock();
      task();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

// Quick enough to answer on the event loop: a scrape, a probe, an unexplained /predict of a
// few flows (~20 us each). An explanation costs ~2 ms a flow, so those go to the workers,
// where the kernel spreads them over the cores; a loop may hold most of the connections.
bool answer_inline(const Request& req) {
  constexpr size_t kInlineBody = 16 << 10;  // about 20 flows
  return req.path == "/healthz" || req.path == "/metrics" ||
         (req.path == "/predict" && req.body.size() <= kInlineBody &&
          req.get_param_value("explain") == "0");
}

// With sizes: a query value may hold a decoded NUL ("%00"), which a C string would cut short.
MHD_Result collect(void* cls, MHD_ValueKind, const char* key, size_t key_size, const char* value,
                   size_t value_size) {
  static_cast<Fields*>(cls)->emplace_back(std::string(key ? key : "", key ? key_size : 0),
                                          std::string(value ? value : "", value ? value_size : 0));
  return MHD_YES;
}

bool compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type.starts_with("application/javascript") || type.starts_with("image/svg");
}

// Whether the client takes gzip: listed and not refused with q=0.
bool accepts_gzip(const Request& req) {
  auto accept = req.get_header_value("Accept-Encoding");
  auto at = accept.find("gzip");
  if (at == std::string::npos) return false;
  auto end = accept.find(',', at);
  auto item = accept.substr(at, end == std::string::npos ? std::string::npos : end - at);
  auto q = item.find("q=");
  return q == std::string::npos || std::strtod(item.c_str() + q + 2, nullptr) > 0;
}

// Fastest level: answers are compressed per request, and level 1 already shrinks JSON ~5x.
bool gzip(const std::string& in, std::string& out) {
  z_stream z{};
  if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  out.resize(deflateBound(&z, in.size()) + 32);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const bool done = deflate(&z, Z_FINISH) == Z_STREAM_END;
  out.resize(z.total_out);
  deflateEnd(&z);
  return done;
}

void log_mhd(void*, const char* format, va_list args) {
  char text[512];
  std::vsnprintf(text, sizeof text, format, args);
  std::string_view line(text);
  while (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  log()->debug("libmicrohttpd: {}", line);
}

void count(const std::string& endpoint, int status, std::chrono::steady_clock::time_point start) {
  auto& registry = MetricsRegistry::global();
  registry
      .counter("flowsentry_http_requests_total", "HTTP requests by endpoint and status",
               {{"endpoint", endpoint}, {"status", std::to_string(status)}})
      .inc();
  registry
      .histogram("flowsentry_http_request_seconds", "HTTP request latency by endpoint",
                 {{"endpoint", endpoint}})
      .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace

double wall_now() {
  return wall_seconds();
}

struct ApiServer::Impl {
  ApiOptions options;
  ApiContext context;
  Router router;
  MHD_Daemon* daemon = nullptr;
  std::unique_ptr<Workers> workers;

  void add_core_routes();
  std::string route(Request& req, Response& res) const;
  void respond(Exchange& exchange) const;
  MHD_Result answer(MHD_Connection* connection, Exchange& exchange);
  static MHD_Result send(MHD_Connection* connection, Exchange& exchange);

  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char* version, const char* upload,
                               size_t* upload_size, void** state);
  static void on_completed(void* cls, MHD_Connection*, void** state, MHD_RequestTerminationCode);
};

// Finds the handler and runs it; returns the endpoint label for metrics. Order: 405 for a
// known path, 401 when a token is needed, 404, then the handler.
std::string ApiServer::Impl::route(Request& req, Response& res) const {
  auto match = router.match(req, &req.matches);
  if (!match.handler && match.endpoint != "other") {
    res.set_header("Allow", match.allowed);
    send_error(res, 405, "method " + req.method + " is not allowed here; use " + match.allowed);
    return match.endpoint;
  }
  if (!options.token.empty() && needs_token(req.path)) {
    auto auth = req.get_header_value("Authorization");
    if (!auth.starts_with("Bearer ") || !same_secret(auth.substr(7), options.token)) {
      res.set_header("WWW-Authenticate", "Bearer");
      send_error(res, 401, "missing or wrong bearer token");
      return match.endpoint;
    }
  }
  if (!match.handler) {
    send_error(res, 404, "no such endpoint: " + req.path);
    return match.endpoint;
  }
  req.matches.insert(req.matches.begin(), req.path);
  // A handler that throws is our bug, not the client's: log it, answer without internals.
  try {
    (*match.handler)(req, res);
  } catch (const std::exception& e) {
    log()->error("{} {}: {}", req.method, req.path, e.what());
    res = Response{};
    send_error(res, 500, "internal error; see the server log");
  }
  return match.endpoint;
}

// Routes the request and compresses the answer; on a worker or on the loop.
void ApiServer::Impl::respond(Exchange& exchange) const {
  Request& req = exchange.req;
  Response res;
  if (exchange.too_large) {
    send_error(res, 413,
               fmt::format("request body is too large (at most {} bytes)", options.max_body_bytes));
    exchange.endpoint = router.match(req, nullptr).endpoint;
  } else {
    exchange.endpoint = route(req, res);
  }
  if (compressible(res.content_type)) res.set_header("Vary", "Accept-Encoding");
  if (res.body.size() >= 1024 && compressible(res.content_type) && accepts_gzip(req)) {
    std::string packed;
    if (gzip(res.body, packed)) {
      res.body.swap(packed);
      res.set_header("Content-Encoding", "gzip");
    }
  }
  exchange.ready = std::move(res);
}

// Answers on the loop, or parks the connection while a worker answers.
MHD_Result ApiServer::Impl::answer(MHD_Connection* connection, Exchange& exchange) {
  if (!exchange.too_large) {
    MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, collect, &exchange.req.params);
  }
  if (exchange.too_large || answer_inline(exchange.req)) {
    respond(exchange);
    return send(connection, exchange);
  }
  MHD_suspend_connection(connection);
  auto task = [this, connection, &exchange] {
    respond(exchange);
    MHD_resume_connection(connection);  // MHD calls on_request again, which sends it
  };
  if (!workers->post(task)) task();
  return MHD_YES;
}

MHD_Result ApiServer::Impl::send(MHD_Connection* connection, Exchange& exchange) {
  Response& res = *exchange.ready;
  exchange.answered = true;
  auto* body = new std::string(std::move(res.body));
  MHD_Response* response = MHD_create_response_from_buffer_with_free_callback_cls(
      body->size(), body->data(), [](void* p) { delete static_cast<std::string*>(p); }, body);
  if (!response) {
    delete body;
    return MHD_NO;
  }
  if (!res.content_type.empty()) {
    MHD_add_response_header(response, "Content-Type", res.content_type.c_str());
  }
  MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : res.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  // Counted before the answer is queued, so a client that reads /metrics right after its
  // request sees that request counted.
  count(exchange.endpoint, res.status, exchange.start);
  const MHD_Result queued =
      MHD_queue_response(connection, static_cast<unsigned>(res.status), response);
  MHD_destroy_response(response);
  return queued;
}

// Called once when the headers are in, once per piece of body, and once at the end.
MHD_Result ApiServer::Impl::on_request(void* cls, MHD_Connection* connection, const char* url,
                                       const char* method, const char*, const char* upload,
                                       size_t* upload_size, void** state) {
  auto* self = static_cast<Impl*>(cls);
  auto* exchange = static_cast<Exchange*>(*state);
  if (!exchange) {
    exchange = new Exchange;
    *state = exchange;
    exchange->req.method = method;
    exchange->req.path = url;
    MHD_get_connection_values_n(connection, MHD_HEADER_KIND, collect, &exchange->req.headers);
    auto length = exchange->req.get_header_value("Content-Length");
    if (!length.empty() &&
        std::strtoull(length.c_str(), nullptr, 10) > self->options.max_body_bytes) {
      exchange->too_large = true;
      return self->answer(connection, *exchange);  // without reading the body
    }
    return MHD_YES;
  }
  if (exchange->answered) {
    *upload_size = 0;
    return MHD_YES;
  }
  if (*upload_size > 0) {
    // A chunked body has no length up front: one over the limit is read to its end and
    // dropped, then answered 413; past 4x the limit the connection is closed instead.
    std::string& body = exchange->req.body;
    exchange->received += *upload_size;
    if (!exchange->too_large && body.size() + *upload_size > self->options.max_body_bytes) {
      exchange->too_large = true;
      std::string().swap(body);
    }
    if (!exchange->too_large) body.append(upload, *upload_size);
    *upload_size = 0;
    if (exchange->received <= 4 * self->options.max_body_bytes) return MHD_YES;
    log()->info("closed a connection: its chunked {} body passed 4x api.max_body_mb",
                exchange->req.path);
    return MHD_NO;
  }
  if (exchange->ready) return send(connection, *exchange);  // a worker's answer, resumed
  return self->answer(connection, *exchange);
}

void ApiServer::Impl::on_completed(void*, MHD_Connection*, void** state,
                                   MHD_RequestTerminationCode) {
  delete static_cast<Exchange*>(*state);
  *state = nullptr;
}

void ApiServer::Impl::add_core_routes() {
  router.add("GET", "/healthz", [](const Request&, Response& res) {
    send_json(res, {{"status", "ok"}});
  });
  router.add("GET", "/readyz", [this](const Request&, Response& res) {
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
  router.add("GET", "/metrics", [](const Request&, Response& res) {
    res.set_content(MetricsRegistry::global().render(), "text/plain; version=0.0.4");
  });
  router.add("GET", "/openapi.json",
             [](const Request&, Response& res) { send_json(res, openapi_document()); });
  router.add("POST", "/alert-test", [this](const Request&, Response& res) {
    if (!context.alert_test) {
      send_error(res, 503, "alerting is not configured in this process");
      return;
    }
    send_json(res, context.alert_test());
  });
#ifdef FLOWSENTRY_HAVE_WEB
  auto asset = [](const Request& req, Response& res) {
    const auto* found = web::find_asset(req.path);
    if (!found) {
      send_error(res, 404, "no such file: " + req.path);
      return;
    }
    res.set_content(std::string(found->body), std::string(found->content_type));
  };
  router.add("GET", "/", asset);
  router.add("GET", "/index.html", asset);
  router.add("GET", "/assets/*", asset);
#endif
}

ApiServer::ApiServer(ApiOptions options, ApiContext context) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->context = std::move(context);
  impl_->add_core_routes();
  add_predict_routes(impl_->router, impl_->context);
  add_query_routes(impl_->router, impl_->context);
}

ApiServer::~ApiServer() {
  stop();
}

namespace {

// The first address `host` resolves to, with `port`.
Result<sockaddr_storage> resolve(const std::string& host, int port, bool& ipv6) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const auto service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot resolve api.host '" + host + "': " + gai_strerror(rc));
  }
  sockaddr_storage address{};
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  ipv6 = found->ai_family == AF_INET6;
  freeaddrinfo(found);
  return address;
}

}  // namespace

Result<int> ApiServer::start() {
  auto& o = impl_->options;
  bool ipv6 = false;
  auto address = resolve(o.host, o.port, ipv6);
  if (!address) return address.error();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto loops = o.loops > 0 ? static_cast<unsigned>(o.loops) : cores;
  impl_->workers = std::make_unique<Workers>(o.threads);
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  if (ipv6) flags |= MHD_USE_IPv6;
  impl_->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::on_request, impl_.get(), MHD_OPTION_EXTERNAL_LOGGER,
      &log_mhd, nullptr, MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&*address),
      MHD_OPTION_THREAD_POOL_SIZE, loops, MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(std::max(1, o.idle_timeout_s)), MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(o.max_connections), MHD_OPTION_NOTIFY_COMPLETED, &Impl::on_completed,
      nullptr, MHD_OPTION_END);
  if (!impl_->daemon) {
    return make_error(ErrorCode::kUnavailable,
                      "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                          " (in use, or not an address of this machine); choose another --port");
  }
  const auto* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info ? info->port : o.port;
  log()->info("listening on http://{}:{}", o.host, port_);
  return port_;
}

// Workers finish (and resume) every parked connection first: stopping the daemon with one
// still suspended would leak it.
void ApiServer::stop() {
  if (impl_->workers) impl_->workers->stop();
  if (impl_->daemon) MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
}

}  // namespace flowsentry::api
