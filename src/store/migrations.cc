#include "store/migrations.h"

#include <algorithm>
#include <span>

namespace flowsentry::store {

std::span<const Migration> embedded_migrations();  // generated: migrations_embedded.cc

std::vector<Migration> migrations_for(std::string_view backend) {
  std::vector<Migration> out;
  for (const auto& m : embedded_migrations()) {
    if (m.backend == backend) out.push_back(m);
  }
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  return out;
}

}  // namespace flowsentry::store
