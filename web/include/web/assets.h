// The dashboard's files (web/dist: index.html, assets/app.js, assets/app.css), embedded in the
// binary at build time so `flowsentry demo|run|serve` serve it with nothing on disk.
#pragma once

#include <span>
#include <string_view>

namespace flowsentry::web {

struct Asset {
  std::string_view path;          // "/index.html", "/assets/app.js", ...
  std::string_view content_type;  // "text/javascript; charset=utf-8", ...
  std::string_view body;
};

// The asset served at `path` ("/" is index.html; a query string is ignored), or nullptr.
const Asset* find_asset(std::string_view path);

// Every embedded file, sorted by path.
std::span<const Asset> all_assets();

}  // namespace flowsentry::web
