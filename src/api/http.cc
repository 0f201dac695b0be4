#include "api/http.h"

#include <algorithm>
#include <cctype>

namespace flowsentry::api {
namespace {

const std::string* find_field(const Fields& fields, std::string_view name, bool any_case) {
  for (const auto& [k, v] : fields) {
    if (any_case ? iequals(k, name) : k == name) return &v;
  }
  return nullptr;
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  size_t at = 1;  // after the leading '/'
  while (at <= path.size()) {
    size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    out.emplace_back(path.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string Request::get_header_value(std::string_view name) const {
  const auto* v = find_field(headers, name, true);
  return v ? *v : std::string();
}

bool Request::has_param(std::string_view name) const {
  return find_field(params, name, false) != nullptr;
}

std::string Request::get_param_value(std::string_view name) const {
  const auto* v = find_field(params, name, false);
  return v ? *v : std::string();
}

size_t Request::get_param_value_count(std::string_view name) const {
  return static_cast<size_t>(
      std::count_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; }));
}

void Response::set_content(std::string content, std::string type) {
  body = std::move(content);
  content_type = std::move(type);
}

void Response::set_header(std::string name, std::string value) {
  headers.emplace_back(std::move(name), std::move(value));
}

void Router::add(std::string method, std::string pattern, Handler handler) {
  auto segments = split_path(pattern);
  routes_.push_back(
      {std::move(method), std::move(pattern), std::move(segments), std::move(handler)});
}

bool Router::matches(const Route& route, std::string_view path, std::vector<std::string>* out) {
  if (path.empty() || path[0] != '/') return false;
  if (route.segments.size() == 1 && route.segments[0].empty()) return path == "/";
  std::vector<std::string> captures;
  size_t at = 1;
  for (size_t i = 0; i < route.segments.size(); ++i) {
    const std::string& want = route.segments[i];
    if (at > path.size()) return false;
    if (want == "*" && i + 1 == route.segments.size()) {
      if (at == path.size()) return false;
      captures.emplace_back(path.substr(at));
      at = path.size() + 1;
      break;
    }
    size_t end = path.find('/', at);
    if (end == std::string_view::npos) end = path.size();
    std::string_view got = path.substr(at, end - at);
    if (want.starts_with('{')) {
      if (got.empty()) return false;
      captures.emplace_back(got);
    } else if (got != want) {
      return false;
    }
    at = end + 1;
  }
  if (at <= path.size()) return false;  // the path has more segments
  if (out) *out = std::move(captures);
  return true;
}

Router::Match Router::match(const Request& req, std::vector<std::string>* captures) const {
  Match m;
  m.endpoint = "other";
  const std::string_view method = req.method == "HEAD" ? std::string_view("GET") : req.method;
  std::vector<std::string> found;
  for (const auto& route : routes_) {
    if (!matches(route, req.path, &found)) continue;
    if (m.endpoint == "other") m.endpoint = route.pattern;
    if (route.method == method && !m.handler) {
      if (captures) *captures = std::move(found);
      m.handler = &route.handler;
      m.endpoint = route.pattern;
    }
    if (m.allowed.find(route.method) == std::string::npos) {
      m.allowed += m.allowed.empty() ? route.method : ", " + route.method;
    }
  }
  return m;
}

}  // namespace flowsentry::api
