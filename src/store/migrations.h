// The numbered schema files under migrations/<backend>/, embedded into the binary at build time
// (CMake generates migrations_embedded.cc from them). Never edit a released file; add the next
// number instead.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace flowsentry::store {

struct Migration {
  std::string_view backend;  // "sqlite" or "postgres"
  int64_t version = 0;       // from the file name, 001_init.sql -> 1
  std::string_view name;     // "001_init"
  std::string_view sql;
};

// The backend's migrations in ascending version order.
std::vector<Migration> migrations_for(std::string_view backend);

}  // namespace flowsentry::store
