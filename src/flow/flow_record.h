// FlowRecord: one network flow with the UNSW-NB15 features.
//
// Numeric features live in one array indexed by NumField, so the codecs, validation and the
// model share one table (kNumFields) instead of 39 hand-written copies. The table's kind says
// which values must be whole numbers, TTLs or flags; values are held as double, which is exact
// for every integer the data set carries (all below 2^53).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flowsentry::flow {

enum NumField : uint8_t {
  kDur,
  kSpkts,
  kDpkts,
  kSbytes,
  kDbytes,
  kRate,
  kSttl,
  kDttl,
  kSload,
  kDload,
  kSloss,
  kDloss,
  kSinpkt,
  kDinpkt,
  kSjit,
  kDjit,
  kSwin,
  kStcpb,
  kDtcpb,
  kDwin,
  kTcprtt,
  kSynack,
  kAckdat,
  kSmean,
  kDmean,
  kTransDepth,
  kResponseBodyLen,
  kCtSrvSrc,
  kCtStateTtl,
  kCtDstLtm,
  kCtSrcDportLtm,
  kCtDstSportLtm,
  kCtDstSrcLtm,
  kIsFtpLogin,
  kCtFtpCmd,
  kCtFlwHttpMthd,
  kCtSrcLtm,
  kCtSrvDst,
  kIsSmIpsPorts,
  kNumFieldCount
};

enum class ValueKind : uint8_t {
  kReal,   // non-negative real (durations, rates, loads, jitter, times)
  kCount,  // non-negative whole number (packets, bytes, counters, windows, sequence numbers)
  kTtl,    // whole number 0..255
  kFlag,   // 0 or 1
};

struct NumFieldSpec {
  std::string_view name;  // column / JSON key as in UNSW-NB15
  ValueKind kind;
  std::string_view doc;
  // Largest accepted value: far above anything real traffic gives (see flow/README.md), and
  // below float's range, so a hostile value can neither overflow the model's float features
  // into inf nor print as invalid JSON.
  double max;
};

extern const std::array<NumFieldSpec, kNumFieldCount> kNumFields;

// Categorical columns. "-" is the data set's word for "none" (service, state).
inline constexpr std::string_view kNone = "-";

// The key that makes a stored verdict unique: Kafka (topic, partition, offset) or
// file (path, 0, line). Writing the same key twice stores it once.
struct RecordKey {
  std::string source;
  int64_t partition = 0;
  int64_t offset = -1;
};

struct FlowRecord {
  std::array<double, kNumFieldCount> num{};
  std::string proto;
  std::string service{kNone};
  std::string state;

  std::optional<int64_t> id;    // data set row id, when present
  std::optional<double> stime;  // event time, seconds since the epoch
  // Identity of a metered flow (columns of the full UNSW-NB15 CSVs; absent in the training
  // set): last packet time, and the source (first packet's sender) and destination.
  std::optional<double> ltime;
  std::optional<std::string> srcip;
  std::optional<int64_t> sport;
  std::optional<std::string> dstip;
  std::optional<int64_t> dsport;
  // ARP flows: the sender and target hardware addresses of the first packet (aa:bb:..).
  std::optional<std::string> arp_sha;
  std::optional<std::string> arp_tha;
  std::optional<std::string> attack_cat;  // ground truth, absent in live traffic
  std::optional<int> label;               // ground truth 0/1, absent in live traffic
  RecordKey key;

  double operator[](NumField f) const { return num[f]; }
  double& operator[](NumField f) { return num[f]; }
};

// Event times (stime, ltime) are accepted from 1990-01-01 up to one day past the wall clock: a
// far-future time would open store partitions and hold detector windows open forever.
inline constexpr double kMinEventTime = 631152000;  // 1990-01-01T00:00:00Z
inline constexpr double kMaxEventTimeAhead = 86400;

// Index of a numeric field by its name, or kNumFieldCount when unknown.
NumField num_field_by_name(std::string_view name);

// The ten UNSW-NB15 attack categories, "Normal" first.
inline constexpr std::array<std::string_view, 10> kAttackCategories{
    "Normal",         "Generic",  "Exploits", "Fuzzers",   "DoS",
    "Reconnaissance", "Analysis", "Backdoor", "Shellcode", "Worms"};

}  // namespace flowsentry::flow
