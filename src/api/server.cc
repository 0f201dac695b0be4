#include "api/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdarg>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "api/http.h"
#include "api/http_util.h"
#include "api/routes.h"
#include "api/tls.h"
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

// "Application/JSON; charset=utf-8" -> "application/json".
std::string media_type(const Request& req) {
  auto type = req.get_header_value("Content-Type");
  type.resize(std::min(type.size(), type.find(';')));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.pop_back();
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return type;
}

// "Example.COM:8080" -> "example.com", "[::1]:80" -> "[::1]".
std::string host_name(std::string host) {
  size_t end = host.size();
  if (host.starts_with('[')) {
    end = std::min(host.size(), host.find(']') + 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    end = colon;
  }
  host.resize(end);
  for (char& c : host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
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

// Where a request runs. On the loop: what is quick enough, a scrape, a liveness probe, an
// unexplained /predict of a few flows (~20 us each). On the work pool: what may take seconds
// (a batch of explanations, ~0.4 ms a flow; alert tests wait for webhooks). On the query pool:
// /readyz, the dashboard's queries and files, so a queue of slow work never delays them.
enum class Lane { kLoop, kQuery, kWork };

Lane lane_of(const Request& req) {
  constexpr size_t kInlineBody = 16 << 10;  // about 20 flows
  if (req.path == "/healthz" || req.path == "/metrics") return Lane::kLoop;
  if (req.path == "/predict") {
    return req.body.size() <= kInlineBody && req.get_param_value("explain") == "0" ? Lane::kLoop
                                                                                   : Lane::kWork;
  }
  return req.path == "/alert-test" ? Lane::kWork : Lane::kQuery;
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

std::string client_address(MHD_Connection* connection) {
  const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr) return "";
  char text[INET6_ADDRSTRLEN] = {};
  const sockaddr* sa = info->client_addr;
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  }
  return text;
}

// One access-log line per answer (api.access_log). The path is the client's: log_fields
// escapes it, so it cannot forge a line.
void log_access(MHD_Connection* connection, const Exchange& exchange, const Response& res) {
  static const auto logger = module_logger("access");
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - exchange.start)
          .count();
  log_fields(*logger, spdlog::level::info, "request",
             {{"method", exchange.req.method},
              {"path", exchange.req.path},
              {"status", res.status},
              {"bytes", static_cast<uint64_t>(res.body.size())},
              {"duration_ms", std::round(ms * 1000) / 1000},
              {"client", client_address(connection)},
              {"endpoint", exchange.endpoint}});
}

// The deadline for a client to send a whole request. libmicrohttpd's own timeout is for
// silence, so a client that trickles a byte a second would hold its connection for ever.
// Each connection is tracked from accept to close; a sweeper shuts down the socket of one
// still reading past its deadline, and libmicrohttpd then closes it as a client hang-up.
class Deadlines {
 public:
  struct Entry {
    int fd = -1;
    bool reading = true;  // the client owes us (the rest of) a request
    std::chrono::steady_clock::time_point deadline;
  };

  explicit Deadlines(std::chrono::seconds limit) : limit_(limit) {
    sweeper_ = std::thread([this] { sweep(); });
  }
  ~Deadlines() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    sweeper_.join();
  }

  Entry* open(int fd) {
    std::lock_guard lock(mutex_);
    auto entry = std::make_unique<Entry>();
    entry->fd = fd;
    entry->deadline = std::chrono::steady_clock::now() + limit_;
    auto* raw = entry.get();
    entries_.emplace(raw, std::move(entry));
    return raw;
  }
  // Called by libmicrohttpd before it closes the socket, so the sweeper never shuts down a
  // descriptor that was closed (and maybe reused).
  void close(Entry* entry) {
    std::lock_guard lock(mutex_);
    entries_.erase(entry);
  }
  // The request is in: from now on any wait is ours, not the client's.
  void received(Entry* entry) {
    std::lock_guard lock(mutex_);
    entry->reading = false;
  }
  // Answered: the next request on this connection has its own deadline.
  void answered(Entry* entry) {
    std::lock_guard lock(mutex_);
    entry->reading = true;
    entry->deadline = std::chrono::steady_clock::now() + limit_;
  }

 private:
  void sweep() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      wake_.wait_for(lock, std::chrono::milliseconds(250));
      const auto now = std::chrono::steady_clock::now();
      for (auto& [raw, entry] : entries_) {
        if (entry->reading && now > entry->deadline && entry->fd >= 0) {
          ::shutdown(entry->fd, SHUT_RDWR);
          entry->fd = -1;
          // Counted, not logged at info: a slow-request flood would flood the log too.
          MetricsRegistry::global()
              .counter("flowsentry_http_requests_timed_out_total",
                       "Connections closed because their request did not arrive within "
                       "api.request_timeout_s")
              .inc();
          log()->debug("closed a connection: no whole request within {} s", limit_.count());
        }
      }
    }
  }

  const std::chrono::seconds limit_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::unordered_map<Entry*, std::unique_ptr<Entry>> entries_;
  std::thread sweeper_;
};

Deadlines::Entry* deadline_of(MHD_Connection* connection) {
  const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<Deadlines::Entry*>(info->socket_context) : nullptr;
}

}  // namespace

struct ApiServer::Impl {
  ApiOptions options;
  ApiContext context;
  Router router;
  MHD_Daemon* daemon = nullptr;
  std::optional<TlsFiles> tls;       // kept while the daemon runs: libmicrohttpd reads it in place
  std::unique_ptr<Workers> work;     // slow requests: explained /predict, alert tests
  std::unique_ptr<Workers> queries;  // /readyz, the dashboard's queries and files
  std::unique_ptr<Deadlines> deadlines;
  std::vector<std::string> allowed_hosts;  // lower case; empty = any

  void add_core_routes();
  bool host_allowed(const Request& req) const;
  bool screen(Exchange& exchange) const;
  std::string route(Request& req, Response& res) const;
  void respond(Exchange& exchange) const;
  MHD_Result answer(MHD_Connection* connection, Exchange& exchange);
  MHD_Result send(MHD_Connection* connection, Exchange& exchange) const;

  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char* version, const char* upload,
                               size_t* upload_size, void** state);
  static void on_completed(void* cls, MHD_Connection*, void** state, MHD_RequestTerminationCode);
  static void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                            MHD_ConnectionNotificationCode code);
};

// A browser sends the name it resolved; a DNS-rebinding page makes that name resolve to us,
// so only names we know are ours are served. Clients without a Host (HTTP/1.0) are not
// browsers.
bool ApiServer::Impl::host_allowed(const Request& req) const {
  if (allowed_hosts.empty()) return true;
  bool sent = false;
  for (const auto& [name, value] : req.headers) sent = sent || iequals(name, "Host");
  if (!sent) return true;
  const auto name = host_name(req.get_header_value("Host"));
  return std::find(allowed_hosts.begin(), allowed_hosts.end(), name) != allowed_hosts.end();
}

// Decides what can be decided on the headers alone, before any body is read: 421 for a Host
// not ours, 405 for a known path, 401 when a token is needed, 404, 415 for a POST that is not
// JSON (a browser posts text/plain across sites without asking), 413 for a Content-Length over
// the limit. True when the exchange is answered; the body is then never read.
bool ApiServer::Impl::screen(Exchange& exchange) const {
  Request& req = exchange.req;
  Response res;
  auto match = router.match(req, nullptr);
  exchange.endpoint = match.endpoint;
  if (!host_allowed(req)) {
    send_error(res, 421,
               "Host '" + host_name(req.get_header_value("Host")) +
                   "' is not served here; add it to api.allowed_hosts");
  } else if (!match.handler && match.endpoint != "other") {
    res.set_header("Allow", match.allowed);
    send_error(res, 405, "method " + req.method + " is not allowed here; use " + match.allowed);
  } else if (!options.token.empty() && needs_token(req.path) && ![&] {
               auto auth = req.get_header_value("Authorization");
               return auth.starts_with("Bearer ") && same_secret(auth.substr(7), options.token);
             }()) {
    res.set_header("WWW-Authenticate", "Bearer");
    send_error(res, 401, "missing or wrong bearer token");
  } else if (!match.handler) {
    send_error(res, 404, "no such endpoint: " + req.path);
  } else if (req.method == "POST" && media_type(req) != "application/json") {
    send_error(res, 415, "expected Content-Type: application/json",
               {{"Content-Type", "got '" + req.get_header_value("Content-Type") + "'"}});
  } else if (auto length = req.get_header_value("Content-Length");
             !length.empty() &&
             std::strtoull(length.c_str(), nullptr, 10) > options.max_body_bytes) {
    send_error(res, 413,
               fmt::format("request body is too large (at most {} bytes)", options.max_body_bytes));
  } else {
    return false;
  }
  exchange.ready = std::move(res);
  return true;
}

// Runs the handler of a screened request; returns the endpoint label for metrics.
std::string ApiServer::Impl::route(Request& req, Response& res) const {
  auto match = router.match(req, &req.matches);
  if (!match.handler) {
    send_error(res, 404, "no such endpoint: " + req.path);
    return match.endpoint;
  }
  req.matches.insert(req.matches.begin(), req.path);
  // A handler that throws is our bug, not the client's: log it, answer without internals.
  try {
    (*match.handler)(req, res);
  } catch (const std::exception& e) {
    log()->error("{} {}: {}", req.method, log_safe(req.path), e.what());
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
  if (auto* deadline = deadline_of(connection)) deadlines->received(deadline);
  if (!exchange.too_large) {
    MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, collect, &exchange.req.params);
  }
  const Lane lane = exchange.too_large ? Lane::kLoop : lane_of(exchange.req);
  if (lane == Lane::kLoop) {
    respond(exchange);
    return send(connection, exchange);
  }
  MHD_suspend_connection(connection);
  auto task = [this, connection, &exchange] {
    respond(exchange);
    MHD_resume_connection(connection);  // MHD calls on_request again, which sends it
  };
  if (!(lane == Lane::kWork ? work : queries)->post(task)) task();
  return MHD_YES;
}

MHD_Result ApiServer::Impl::send(MHD_Connection* connection, Exchange& exchange) const {
  Response& res = *exchange.ready;
  if (options.access_log) log_access(connection, exchange, res);
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
    if (self->screen(*exchange)) {
      // Refused on its headers: answered now, without reading (or buffering) the body.
      if (auto* deadline = deadline_of(connection)) self->deadlines->received(deadline);
      return self->send(connection, *exchange);
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
                log_safe(exchange->req.path));
    return MHD_NO;
  }
  if (exchange->ready) return self->send(connection, *exchange);  // a worker's answer, resumed
  return self->answer(connection, *exchange);
}

void ApiServer::Impl::on_completed(void* cls, MHD_Connection* connection, void** state,
                                   MHD_RequestTerminationCode) {
  auto* self = static_cast<Impl*>(cls);
  delete static_cast<Exchange*>(*state);
  *state = nullptr;
  if (auto* deadline = deadline_of(connection)) self->deadlines->answered(deadline);
}

void ApiServer::Impl::on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                                    MHD_ConnectionNotificationCode code) {
  auto* self = static_cast<Impl*>(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const auto* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context = self->deadlines->open(info ? info->connect_fd : -1);
  } else if (*socket_context) {
    self->deadlines->close(static_cast<Deadlines::Entry*>(*socket_context));
    *socket_context = nullptr;
  }
}

void ApiServer::Impl::add_core_routes() {
  router.add("GET", "/healthz", [](const Request&, Response& res) {
    send_json(res, {{"status", "ok"}});
  });
  router.add("GET", "/readyz", [this](const Request&, Response& res) {
    const auto scorer = context.current_scorer();
    if (!scorer) {
      send_json(res, {{"ready", false}, {"reason", "no model loaded"}}, 503);
      return;
    }
    nlohmann::json body{{"ready", true}, {"model_version", scorer->model_version()}};
    if (context.store) {
      store::Query q;
      q.from = wall_seconds();
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
    refresh_process_metrics(MetricsRegistry::global());
    res.set_content(MetricsRegistry::global().render(), "text/plain; version=0.0.4");
  });
  router.add("GET", "/openapi.json",
             [](const Request&, Response& res) { send_json(res, openapi_document()); });
  router.add("POST", "/alert-test", [this](const Request& req, Response& res) {
    if (!nlohmann::json::parse(req.body, nullptr, false).is_object()) {
      send_error(res, 400, "body must be a JSON object, e.g. {}", {{"/", "not a JSON object"}});
      return;
    }
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
  add_predict_routes(impl_->router, impl_->context, impl_->options.max_explain_flows);
  add_query_routes(impl_->router, impl_->context);
  add_host_routes(impl_->router, impl_->context);
  add_feedback_routes(impl_->router, impl_->context);
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

bool is_loopback(const sockaddr_storage& address) {
  if (address.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(address);
    return (ntohl(in.sin_addr.s_addr) >> 24) == 127;
  }
  if (address.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(address).sin6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&in6)) return true;
    return IN6_IS_ADDR_V4MAPPED(&in6) && in6.s6_addr[12] == 127;
  }
  return false;
}

}  // namespace

std::vector<std::string> split_list(std::string_view text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= text.size()) {
    size_t end = std::min(text.size(), text.find(',', at));
    auto item = text.substr(at, end - at);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    at = end + 1;
  }
  return out;
}

Result<int> ApiServer::start() {
  auto& o = impl_->options;
  bool ipv6 = false;
  auto address = resolve(o.host, o.port, ipv6);
  if (!address) return address.error();
  if (o.token.empty() && !o.insecure_no_token && !is_loopback(*address)) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("refusing to listen on {}:{} with an empty api.token: anyone "
                                  "who reaches that address could score flows, read the "
                                  "dashboard's data and acknowledge alerts. Set api.token (or "
                                  "FLOWSENTRY_API_TOKEN), listen on 127.0.0.1, or pass "
                                  "--insecure-no-token (api.insecure_no_token) to accept that",
                                  o.host, o.port));
  }
  // As a Host header names them: lower case, no port, IPv6 in brackets.
  auto as_host = [](const std::string& name) {
    const bool bare_ipv6 = std::count(name.begin(), name.end(), ':') > 1 && !name.starts_with('[');
    return host_name(bare_ipv6 ? "[" + name + "]" : name);
  };
  impl_->allowed_hosts.clear();
  for (const auto& name : o.allowed_hosts) {
    if (name == "*") {
      impl_->allowed_hosts.clear();
      break;
    }
    impl_->allowed_hosts.push_back(as_host(name));
  }
  if (!impl_->allowed_hosts.empty()) impl_->allowed_hosts.push_back(as_host(o.host));
  auto tls = read_tls_files(o.tls_cert, o.tls_key);
  if (!tls) return tls.error();
  if (*tls && !tls_supported()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "api.tls_cert is set but this libmicrohttpd was built without TLS; "
                      "install one built with GnuTLS (Debian's libmicrohttpd12) or unset it");
  }
  impl_->tls = std::move(*tls);
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const auto loops = o.loops > 0 ? static_cast<unsigned>(o.loops) : cores;
  impl_->work = std::make_unique<Workers>(o.threads);
  impl_->queries = std::make_unique<Workers>(o.query_threads);
  impl_->deadlines =
      std::make_unique<Deadlines>(std::chrono::seconds(std::max(1, o.request_timeout_s)));
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
  if (ipv6) flags |= MHD_USE_IPv6;
  // HTTPS options go in an array, since MHD_start_daemon's list is fixed at compile time.
  std::vector<MHD_OptionItem> tls_options;
  if (impl_->tls) {
    flags |= MHD_USE_TLS;
    tls_options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, impl_->tls->cert_pem.data()});
    tls_options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, impl_->tls->key_pem.data()});
  }
  tls_options.push_back({MHD_OPTION_END, 0, nullptr});
  impl_->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Impl::on_request, impl_.get(), MHD_OPTION_EXTERNAL_LOGGER,
      &log_mhd, nullptr, MHD_OPTION_SOCK_ADDR, reinterpret_cast<sockaddr*>(&*address),
      MHD_OPTION_THREAD_POOL_SIZE, loops, MHD_OPTION_CONNECTION_TIMEOUT,
      static_cast<unsigned>(std::max(1, o.idle_timeout_s)), MHD_OPTION_CONNECTION_LIMIT,
      static_cast<unsigned>(o.max_connections), MHD_OPTION_PER_IP_CONNECTION_LIMIT,
      static_cast<unsigned>(std::max(0, o.max_connections_per_client)), MHD_OPTION_NOTIFY_COMPLETED,
      &Impl::on_completed, impl_.get(), MHD_OPTION_NOTIFY_CONNECTION, &Impl::on_connection,
      impl_.get(), MHD_OPTION_ARRAY, tls_options.data(), MHD_OPTION_END);
  if (!impl_->daemon && impl_->tls) {
    impl_->tls.reset();
    return make_error(ErrorCode::kInvalidArgument,
                      "cannot serve HTTPS on " + o.host + ":" + std::to_string(o.port) +
                          ": api.tls_cert and api.tls_key must be a PEM certificate and its "
                          "matching private key (unencrypted), and the port free");
  }
  if (!impl_->daemon) {
    return make_error(ErrorCode::kUnavailable,
                      "cannot listen on " + o.host + ":" + std::to_string(o.port) +
                          " (in use, or not an address of this machine); choose another --port");
  }
  const auto* info = MHD_get_daemon_info(impl_->daemon, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info ? info->port : o.port;
  log()->info("listening on {}://{}:{}", scheme(), o.host, port_);
  if (o.token.empty() && !is_loopback(*address)) {
    log()->warn(
        "api.token is empty and {} is not a loopback address: the API is open to anyone "
        "who reaches it (--insecure-no-token)",
        o.host);
  }
  return port_;
}

// Workers finish (and resume) every parked connection first: stopping the daemon with one
// still suspended would leak it. The deadlines outlive the connections they track.
void ApiServer::stop() {
  if (impl_->work) impl_->work->stop();
  if (impl_->queries) impl_->queries->stop();
  if (impl_->daemon) MHD_stop_daemon(impl_->daemon);
  impl_->daemon = nullptr;
  impl_->deadlines.reset();
  impl_->tls.reset();
}

const char* ApiServer::scheme() const {
  return impl_->tls ? "https" : "http";
}

}  // namespace flowsentry::api
