// Parse speed of the flow codecs on one core: CSV lines and JSON objects, flows per second.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "flow/csv.h"
#include "flow/json_codec.h"
#include "flow/tests/fixtures.h"

namespace fs = flowsentry::flow;

static void BM_CsvDecode(benchmark::State& state) {
  auto schema = fs::CsvSchema::from_header(fs::testing::kHeader);
  std::vector<std::string> lines{fs::testing::kRowHttp, fs::testing::kRowUdp};
  fs::FlowRecord rec;
  fs::CsvFields scratch;
  size_t i = 0;
  for (auto _ : state) {
    auto p = schema->decode(lines[i++ & 1], rec, scratch);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CsvDecode);

static void BM_JsonDecodeOne(benchmark::State& state) {
  fs::JsonDecoder d;
  fs::FlowRecord rec;
  for (auto _ : state) {
    auto p = d.decode_one(fs::testing::kJsonHttp, rec);
    benchmark::DoNotOptimize(p);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JsonDecodeOne);

static void BM_JsonDecodeArray1000(benchmark::State& state) {
  fs::JsonDecoder d;
  std::string doc = "[";
  for (int i = 0; i < 1000; ++i) doc += (i ? "," : "") + fs::testing::kJsonHttp;
  doc += "]";
  std::vector<fs::FlowRecord> out;
  std::vector<fs::RecordProblem> problems;
  for (auto _ : state) {
    out.clear();
    auto st = d.decode(doc, out, problems);
    benchmark::DoNotOptimize(st);
  }
  state.SetItemsProcessed(state.iterations() * 1000);
}
BENCHMARK(BM_JsonDecodeArray1000);

static void BM_JsonEncode(benchmark::State& state) {
  fs::JsonDecoder d;
  fs::FlowRecord rec;
  (void)d.decode_one(fs::testing::kJsonHttp, rec);
  std::string out;
  for (auto _ : state) {
    out.clear();
    fs::append_json(rec, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_JsonEncode);

BENCHMARK_MAIN();
