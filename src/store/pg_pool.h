// PgPool: PostgreSQL connections shared by the store's threads. Holds at least one connection
// (opened up front, so a wrong URL fails at open) and at most `max`. A connection found broken
// (server restarted or gone) is dropped and a new one is made, retrying with exponential
// backoff, so the store recovers by itself once the server is back.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"

struct pg_conn;
struct pg_result;
typedef struct pg_conn PGconn;      // NOLINT: libpq's own spelling
typedef struct pg_result PGresult;  // NOLINT

namespace flowsentry::store {

struct PgConn {
  PGconn* conn = nullptr;
  bool staging_ready = false;  // the temp staging table exists on this connection
};

class PgPool {
 public:
  struct Options {
    std::string url;
    int max = 8;
    int connect_attempts = 8;  // backoff 50 ms, doubling to 2 s: about 5 s in all
    std::chrono::milliseconds first_backoff{50};
    std::chrono::milliseconds max_backoff{2000};
  };

  class Lease {
   public:
    Lease(PgPool* pool, std::unique_ptr<PgConn> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    PgConn& operator*() { return *c_; }
    PgConn* operator->() { return c_.get(); }
    bool broken() const;  // the server closed the connection
    void discard() { discard_ = true; }

   private:
    PgPool* pool_;
    std::unique_ptr<PgConn> c_;
    bool discard_ = false;
  };

  static Result<std::unique_ptr<PgPool>> open(Options options);
  ~PgPool();

  // Waits for an idle connection, or opens one while fewer than `max` exist.
  Result<Lease> acquire();
  int open_connections() const;
  // The URL without a password, for messages.
  const std::string& display_url() const { return display_url_; }

 private:
  explicit PgPool(Options options);
  Result<std::unique_ptr<PgConn>> connect();
  void release(std::unique_ptr<PgConn> c, bool discard);

  Options options_;
  std::string conninfo_;
  std::string display_url_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<PgConn>> idle_;
  int total_ = 0;
};

}  // namespace flowsentry::store
