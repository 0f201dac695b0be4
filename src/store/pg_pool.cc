#include "store/pg_pool.h"

#include <libpq-fe.h>

#include <thread>

#include <fmt/format.h>

#include "common/log.h"
#include "common/redact.h"

namespace flowsentry::store {

namespace {
// Server notices ("relation already exists, skipping") go to the debug log, not stderr.
void on_notice(void*, const char* message) {
  std::string m = message ? message : "";
  while (!m.empty() && m.back() == '\n') m.pop_back();
  module_logger("store")->debug("postgres: {}", m);
}

void close_conn(PgConn* c) {
  if (c && c->conn) PQfinish(c->conn);
  if (c) c->conn = nullptr;
}
}  // namespace

PgPool::Lease::~Lease() {
  if (c_) pool_->release(std::move(c_), discard_ || broken());
}

bool PgPool::Lease::broken() const {
  return !c_ || !c_->conn || PQstatus(c_->conn) != CONNECTION_OK;
}

PgPool::PgPool(Options options) : options_(std::move(options)) {
  conninfo_ = options_.url;
  const char sep = conninfo_.find('?') == std::string::npos ? '?' : '&';
  if (conninfo_.find("connect_timeout=") == std::string::npos) {
    conninfo_ += fmt::format("{}connect_timeout=5", sep);
  }
  if (conninfo_.find("application_name=") == std::string::npos) {
    conninfo_ += "&application_name=flowsentry";
  }
  // postgresql://user:secret@host -> postgresql://user:***@host
  display_url_ = redact_url(options_.url);
}

PgPool::~PgPool() {
  for (auto& c : idle_) close_conn(c.get());
}

Result<std::unique_ptr<PgPool>> PgPool::open(Options options) {
  std::unique_ptr<PgPool> pool(new PgPool(std::move(options)));
  auto c = pool->connect();
  if (!c.ok()) return c.error();
  pool->total_ = 1;
  pool->idle_.push_back(std::move(*c));
  return pool;
}

Result<std::unique_ptr<PgConn>> PgPool::connect() {
  auto backoff = options_.first_backoff;
  std::string last;
  for (int attempt = 1; attempt <= options_.connect_attempts; ++attempt) {
    auto c = std::make_unique<PgConn>();
    c->conn = PQconnectdb(conninfo_.c_str());
    if (c->conn && PQstatus(c->conn) == CONNECTION_OK) {
      PQsetNoticeProcessor(c->conn, on_notice, nullptr);
      if (attempt > 1) {
        module_logger("store")->info("reconnected to {} after {} attempts", display_url_, attempt);
      }
      return c;
    }
    last = c->conn ? PQerrorMessage(c->conn) : "out of memory";
    while (!last.empty() && (last.back() == '\n' || last.back() == ' ')) last.pop_back();
    close_conn(c.get());
    if (attempt == options_.connect_attempts) break;
    module_logger("store")->warn("cannot connect to {} (attempt {}): {}; retrying in {} ms",
                                 display_url_, attempt, last, backoff.count());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  return make_error(ErrorCode::kUnavailable,
                    fmt::format("cannot connect to PostgreSQL after {} attempts: {} (is the server "
                                "running? for tests: scripts/postgres start)",
                                options_.connect_attempts, last),
                    display_url_);
}

Result<PgPool::Lease> PgPool::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !idle_.empty() || total_ < options_.max; });
  if (!idle_.empty()) {
    auto c = std::move(idle_.back());
    idle_.pop_back();
    if (PQstatus(c->conn) == CONNECTION_OK) return Lease(this, std::move(c));
    close_conn(c.get());  // broken while idle: replace it below
    --total_;
  }
  ++total_;
  lock.unlock();
  auto c = connect();
  if (!c.ok()) {
    lock.lock();
    --total_;
    cv_.notify_one();
    return c.error();
  }
  return Lease(this, std::move(*c));
}

void PgPool::release(std::unique_ptr<PgConn> c, bool discard) {
  std::lock_guard lock(mu_);
  if (discard) {
    close_conn(c.get());
    --total_;
  } else {
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

int PgPool::open_connections() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace flowsentry::store
