// Prints the meter's records for pcap files in the column order of the Argus reference
// command (ra -s stime saddr sport daddr dport proto state dur ... smeansz dmeansz), so the
// two can be diffed by hand: meter_dump FILE.pcap...
#include <cstdio>

#include <fmt/format.h>

#include "stream/pcap_reader.h"

int main(int argc, char** argv) {
  using namespace flowsentry;
  meter::Meter m;
  for (int i = 1; i < argc; ++i) {
    auto r = stream::meter_capture_file(argv[i], m);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
      return 1;
    }
  }
  m.finish();
  std::vector<flow::FlowRecord> recs;
  m.take(recs);
  for (const auto& r : recs) {
    using namespace flow;
    fmt::print(
        "{:.6f},{},{},{},{},{},{},{:.6f},{},{},{},{},{:.6f},{},{},{:.6f},{:.6f},{},{},"
        "{:.6f},{:.6f},{:.6f},{:.6f},{},{},{},{},{:.6f},{:.6f},{:.6f},{},{},{}\n",
        *r.stime, *r.srcip, *r.sport, *r.dstip, *r.dsport, r.proto, r.state, r[kDur], r[kSpkts],
        r[kDpkts], r[kSbytes], r[kDbytes], r[kRate], r[kSttl], r[kDttl], r[kSload], r[kDload],
        r[kSloss], r[kDloss], r[kSinpkt], r[kDinpkt], r[kSjit], r[kDjit], r[kSwin], r[kDwin],
        r[kStcpb], r[kDtcpb], r[kTcprtt], r[kSynack], r[kAckdat], r[kSmean], r[kDmean], r.service);
  }
  return 0;
}
