#include "web/assets.h"

#include <algorithm>

namespace flowsentry::web {

// Defined in the generated assets_embedded.cc (web/embed_assets.cmake), sorted by path.
std::span<const Asset> embedded_assets();

const Asset* find_asset(std::string_view path) {
  if (const auto q = path.find_first_of("?#"); q != std::string_view::npos)
    path = path.substr(0, q);
  if (path.empty() || path == "/") path = "/index.html";
  const auto all = embedded_assets();
  const auto it = std::lower_bound(all.begin(), all.end(), path,
                                   [](const Asset& a, std::string_view p) { return a.path < p; });
  return it != all.end() && it->path == path ? &*it : nullptr;
}

std::span<const Asset> all_assets() {
  return embedded_assets();
}

}  // namespace flowsentry::web
