// Fuzzes the JSON codec: any bytes as a document and as one object. A flow that decodes must
// encode and decode back to the same values.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "flow/json_codec.h"

using namespace flowsentry::flow;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  JsonDecoder decoder;
  std::vector<FlowRecord> out;
  std::vector<RecordProblem> problems;
  (void)decoder.decode(text, out, problems);
  for (const auto& p : problems) {
    if (p.problem.reason.empty()) std::abort();
  }
  FlowRecord rec;
  if (!decoder.decode_one(text, rec)) {
    FlowRecord again;
    auto p = decoder.decode_one(to_json(rec), again);
    if (p || again.num != rec.num || again.proto != rec.proto || again.service != rec.service ||
        again.state != rec.state || again.label != rec.label ||
        again.attack_cat != rec.attack_cat) {
      std::abort();
    }
  }
  return 0;
}
