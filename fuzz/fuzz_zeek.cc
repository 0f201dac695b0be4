// Fuzzes the Zeek conn.log parsers (TSV with its header, JSON lines) and the conn.log mapping:
// any bytes, line by line. A row that maps must give a flow that passes validation.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "flow/validate.h"
#include "flow/zeek_log.h"
#include "stream/zeek_conn.h"

using namespace flowsentry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  flow::ZeekLogParser parser(stream::conn_field_names(), stream::kConnRequired);
  std::vector<flow::ZeekValue> values;
  flow::FieldProblem problem;
  flow::FlowRecord rec;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    const auto kind = parser.parse(line, values, problem);
    if (kind == flow::ZeekLogParser::Line::kInvalid && problem.reason.empty()) std::abort();
    if (kind != flow::ZeekLogParser::Line::kRow) continue;
    if (values.size() != stream::kConnFieldCount) std::abort();
    if (auto p = stream::conn_to_flow(values, 14, rec)) {
      if (p->reason.empty()) std::abort();
      continue;
    }
    for (size_t f = 0; f < flow::kNumFieldCount; ++f) {
      if (flow::check_num(static_cast<flow::NumField>(f), rec.num[f])) std::abort();
    }
    if (!rec.srcip || !rec.dstip || rec.state.empty() || rec.proto.empty()) std::abort();
  }
  return 0;
}
