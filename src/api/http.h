// The request and response the handlers see, and the route table. The transport
// (libmicrohttpd, server.cc) fills a Request and sends a Response; handlers know neither.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace flowsentry::api {

using Fields = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;
  std::string path;  // percent-decoded, without the query string
  std::string body;
  Fields headers;                    // names as sent; looked up case-insensitively
  Fields params;                     // the query string, decoded, in order
  std::vector<std::string> matches;  // [0] the path, then each {name} segment of the route

  std::string get_header_value(std::string_view name) const;  // "" when absent
  bool has_param(std::string_view name) const;
  std::string get_param_value(std::string_view name) const;  // the first; "" when absent
  size_t get_param_value_count(std::string_view name) const;
};

struct Response {
  int status = 200;
  std::string body;
  std::string content_type;
  Fields headers;

  void set_content(std::string content, std::string type);
  void set_header(std::string name, std::string value);
};

using Handler = std::function<void(const Request&, Response&)>;

// Routes are patterns of path segments: "/api/v1/kpis", "/api/v1/alerts/{id}/ack" ({id} is
// one non-empty segment, captured into Request::matches) or "/assets/*" (any non-empty rest).
// A pattern is also the route's endpoint label in metrics, so ids never become labels.
class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null: no route for this method (see allowed)
    std::string endpoint;              // the pattern, or "other" for an unknown path
    std::string allowed;               // methods the path accepts, when it exists
  };
  // HEAD is served by the GET route (the transport sends no body).
  Match match(const Request& req, std::vector<std::string>* captures) const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool matches(const Route& route, std::string_view path, std::vector<std::string>* out);
  std::vector<Route> routes_;
};

bool iequals(std::string_view a, std::string_view b);

}  // namespace flowsentry::api
