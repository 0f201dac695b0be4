// Host queries' value types: address ranges (an address or a CIDR block), flow-list filters and
// cursors, per-host aggregates. Addresses are compared as 16-byte sortable forms (flow/address.h),
// so an address or CIDR is one [lo, hi] range in both backends.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "flow/address.h"
#include "flow/flow_record.h"

namespace flowsentry::store {

// An address (lo == hi) or a CIDR block, inclusive at both ends.
struct AddressRange {
  flow::AddressBytes lo{}, hi{};
  bool single() const { return lo == hi; }
  bool contains(const flow::AddressBytes& a) const { return lo <= a && a <= hi; }
};

// "10.0.0.5", "10.0.0.0/8", "2001:db8::/32", "::ffff:10.0.0.0/104"; the error says what is wrong
// (not an address, a prefix out of range, host bits set are allowed and ignored).
Result<AddressRange> parse_address_range(std::string_view text);

// Filters of the flow list; every given one must match.
struct FlowFilter {
  std::optional<AddressRange> host;  // either side
  std::optional<AddressRange> src, dst;
  std::optional<int64_t> port;    // either side's port
  std::optional<bool> anomalies;  // label 1 (true) or 0 (false)
  bool by_score = false;  // highest score first instead of newest first: one page, no cursor
};

// Where a page of the flow list (newest first) ends: the last flow's stime and key.
struct FlowCursor {
  double stime = 0;
  flow::RecordKey key;
};

// A flow's stable id in the API, its stime and key: "STIME_PARTITION_OFFSET_HEX(SOURCE)";
// URL-safe and exact (stime in its shortest round-trip text).
std::string encode_flow_id(double stime, const flow::RecordKey& key);
std::optional<FlowCursor> decode_flow_id(std::string_view id);

enum class HostOrder { kAnomalies, kFlows, kBytes };
enum class HostRole { kSrc, kDst, kAny };

// A host's flows in a window, as source (kSrc), destination (kDst) or either (kAny; a flow
// counts once per side the host is on).
struct HostStat {
  std::string ip;
  int64_t flows = 0;
  int64_t anomalies = 0;
  double bytes = 0;  // sbytes + dbytes
  double max_score = 0;
};

struct HostSummary {
  int64_t flows = 0;      // flows with the host on either side (once each)
  int64_t anomalies = 0;  // of those, label 1
  double bytes_out = 0;   // bytes the host sent: sbytes as source, dbytes as destination
  double bytes_in = 0;
  std::optional<double> first, last;  // min stime, max ltime (stime when no ltime)
};

struct HostBucket {
  int64_t t = 0;
  int64_t flows = 0;
  int64_t anomalies = 0;
  double max_score = 0;
};

struct HostPort {
  int64_t port = 0;  // destination port of the host's flows
  std::string proto;
  int64_t flows = 0;
  int64_t anomalies = 0;
};

struct CategoryCount {
  std::string attack_cat;
  int64_t count = 0;  // anomalies (label 1) of that category
};

struct HostDetail {
  HostSummary summary;
  int64_t bucket_seconds = 0;
  std::vector<HostBucket> timeline;  // buckets with flows, ascending
  std::vector<HostStat> peers;       // the other side's address, most flows first
  std::vector<HostPort> ports;       // most flows first
  std::vector<CategoryCount> categories;
};

// Whether `text` names `ip` as a whole address (not as part of a longer one: 10.0.0.5 is not
// in "10.0.0.50"), for finding the alerts that name a host.
bool names_address(std::string_view text, std::string_view ip);

}  // namespace flowsentry::store
