// Zeek conn.log rows to flows on one core: the line parser and the conn.log mapping, TSV and
// JSON lines (rows per second). The reader adds the ct_* window and the http/ftp join.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "flow/zeek_log.h"
#include "stream/zeek_conn.h"

namespace {

namespace fl = flowsentry::flow;
namespace st = flowsentry::stream;

constexpr const char* kTsvHeader[] = {
    "#separator \\x09",
    "#set_separator\t,",
    "#empty_field\t(empty)",
    "#unset_field\t-",
    "#path\tconn",
    "#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\t"
    "orig_bytes\tresp_bytes\tconn_state\tlocal_orig\tlocal_resp\tmissed_bytes\thistory\t"
    "orig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes\ttunnel_parents"};
constexpr const char* kTsvRow =
    "1700000000.100000\tCHttp1aaaaaaaaaa1\t10.0.0.5\t49152\t93.184.216.34\t80\ttcp\thttp\t"
    "1.500000\t420\t1200\tSF\tT\tF\t0\tShADadFf\t6\t740\t5\t1468\t(empty)";
constexpr const char* kJsonRow =
    R"({"ts":1700000000.1,"uid":"CHttp1aaaaaaaaaa1","id.orig_h":"10.0.0.5","id.orig_p":49152,)"
    R"("id.resp_h":"93.184.216.34","id.resp_p":80,"proto":"tcp","service":"http",)"
    R"("duration":1.5,"orig_bytes":420,"resp_bytes":1200,"conn_state":"SF","local_orig":true,)"
    R"("local_resp":false,"missed_bytes":0,"history":"ShADadFf","orig_pkts":6,)"
    R"("orig_ip_bytes":740,"resp_pkts":5,"resp_ip_bytes":1468,"tunnel_parents":[]})";

void run(benchmark::State& state, bool tsv) {
  fl::ZeekLogParser parser(st::conn_field_names(), st::kConnRequired);
  std::vector<fl::ZeekValue> values;
  fl::FieldProblem problem;
  if (tsv) {
    for (const char* line : kTsvHeader) parser.parse(line, values, problem);
  }
  fl::FlowRecord rec;
  for (auto _ : state) {
    auto kind = parser.parse(tsv ? kTsvRow : kJsonRow, values, problem);
    auto p = st::conn_to_flow(values, 14, rec);
    benchmark::DoNotOptimize(kind);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ZeekTsvRow(benchmark::State& state) {
  run(state, true);
}
BENCHMARK(BM_ZeekTsvRow);

void BM_ZeekJsonRow(benchmark::State& state) {
  run(state, false);
}
BENCHMARK(BM_ZeekJsonRow);

}  // namespace
BENCHMARK_MAIN();
