// Fuzzes the CSV reader: any bytes as a whole file (header + rows) and as one header-less
// message. It must never crash; every row is either a record or a problem with a reason.
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "flow/csv.h"

using namespace flowsentry::flow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto reader = CsvReader::from_stream(std::make_unique<std::istringstream>(text), "fuzz.csv");
  if (reader.ok()) {
    FlowRecord rec;
    FieldProblem p;
    for (int i = 0; i < 10000; ++i) {
      auto n = (*reader)->next(rec, p);
      if (n == CsvReader::Next::kEnd) break;
      if (n == CsvReader::Next::kInvalid && p.reason.empty()) std::abort();
    }
  }
  FlowRecord rec;
  CsvFields scratch;
  auto p = CsvSchema::canonical().decode(text, rec, scratch);
  if (p && p->reason.empty()) std::abort();
  return 0;
}
