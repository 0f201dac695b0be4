// Packet captures as flow files: `--data traffic.pcap` (pcap or pcapng, recognised by
// content) meters the packets and yields the flows, so check, score, demo, produce, train and
// evaluate read captures as they read CSV.
#pragma once

#include <memory>
#include <string>

#include "common/result.h"
#include "flow/reader.h"

namespace flowsentry::stream {

// Registers captures with flow::open_flow_file. Idempotent.
void register_capture_format();

// A FlowReader over one capture; line() is the record's position (1-based).
Result<std::unique_ptr<flow::FlowReader>> open_capture_flows(const std::string& path);

}  // namespace flowsentry::stream
