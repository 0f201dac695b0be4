// Fuzzes the collector's decoder for one export version (FUZZ_VERSION: 5, 9 or 10 = IPFIX):
// the input is cut into datagrams (a 2-byte length before each) whose version field is forced,
// so templates learned from one datagram are used by the next. Nothing may be read out of
// bounds, memory stays within the limits, and every flow out passes the collector's checks.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "collect/collector.h"

using namespace flowsentry::collect;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CollectorSettings settings;
  settings.limits = {
      .max_sessions = 8, .max_templates = 8, .max_pending_sets = 8, .max_pending_bytes = 1 << 16};
  settings.pairing.max_waiting = 16;
  Collector c(settings);
  const std::array<uint8_t, 16> exporter{192, 0, 2, 1};
  size_t pos = 0;
  int64_t now = 0;
  while (pos + 2 <= size) {
    const size_t len = std::min<size_t>(data[pos] << 8 | data[pos + 1], size - pos - 2);
    pos += 2;
    // Copy so ASan sees the exact datagram bounds.
    std::vector<uint8_t> d(data + pos, data + pos + len);
    if (d.size() >= 2) {
      d[0] = 0;
      d[1] = FUZZ_VERSION;
    }
    c.add(exporter, d, now);
    now += 1'000'000;
    pos += len;
  }
  c.finish();
  std::vector<flowsentry::flow::FlowRecord> out;
  std::vector<flowsentry::flow::FieldProblem> rejected;
  c.take(out, rejected);
  if (c.pending_sets() > 8 || c.templates_active() > 64) std::abort();
  if (out.size() + rejected.size() != c.flows() + c.rejected()) std::abort();
  return 0;
}
