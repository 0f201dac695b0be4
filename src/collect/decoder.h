// Decoder: UDP datagrams from flow exporters (NetFlow v5, NetFlow v9 per RFC 3954, IPFIX per
// RFC 7011) to ExportRecords. Templates are kept per exporter session (address, version,
// observation domain / source id); data sets that arrive before their template wait in a
// bounded buffer; sequence gaps are counted as lost records. Bad input is counted by reason
// and never read past its bounds: memory is bounded by DecoderLimits whatever arrives.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "collect/export_record.h"
#include "collect/templates.h"

namespace flowsentry::collect {

enum class DecodeError : uint8_t {
  kTooShort,         // shorter than its header
  kBadVersion,       // not 5, 9 or 10
  kBadLength,        // IPFIX message length or v5 count disagrees with the datagram
  kBadSetLength,     // a set shorter than its header or past the end of the message
  kBadTemplate,      // a template record that does not fit its set or describes no bytes
  kTemplateLimit,    // the exporter session holds max_templates already
  kSessionLimit,     // max_sessions exporter sessions exist already
  kUnknownTemplate,  // a data set without its template (buffered until it comes)
  kPendingDropped,   // a buffered data set pushed out by newer ones (its records are lost)
  kTruncatedRecord,  // a record cut short by the end of its set (v5: of the datagram)
  kMissingAddress,   // a data record without source or destination address
  kCount
};
std::string_view decode_error_name(DecodeError e);

struct DecoderLimits {
  size_t max_sessions = 4096;      // (exporter address, version, domain)
  size_t max_templates = 1024;     // per session
  size_t max_pending_sets = 1024;  // data sets waiting for their template
  size_t max_pending_bytes = 8 << 20;
};

struct DecoderCounters {
  uint64_t datagrams = 0;
  std::array<uint64_t, 3> records{};  // decoded flow records: v5, v9, IPFIX
  std::array<uint64_t, static_cast<size_t>(DecodeError::kCount)> errors{};
  uint64_t lost_records = 0;     // sequence gaps of v5 and IPFIX (they number records)
  uint64_t lost_datagrams = 0;   // sequence gaps of v9 (it numbers export packets)
  uint64_t out_of_order = 0;     // datagrams with a sequence number already passed
  uint64_t options_records = 0;  // options data records, skipped
  uint64_t error_total() const;
};

class Decoder {
 public:
  explicit Decoder(DecoderLimits limits = {});

  // `exporter`: the sender's address (IPv4 in the first 4 bytes), `port` its UDP port: a new
  // port is a new transport session (a restarted exporter), whose numbering starts afresh.
  // Appends the flow records.
  void decode(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> datagram,
              std::vector<ExportRecord>& out, uint16_t port = 0);

  const DecoderCounters& counters() const { return counters_; }
  size_t templates_active() const;
  size_t pending_sets() const { return pending_.size(); }
  size_t sessions() const { return sessions_.size(); }

 private:
  struct SessionKey {
    std::array<uint8_t, 16> addr{};
    uint8_t version = 0;
    uint32_t domain = 0;
    bool operator==(const SessionKey&) const = default;
  };
  struct SessionKeyHash {
    size_t operator()(const SessionKey& k) const;
  };
  struct Session {
    explicit Session(size_t max_templates) : templates(max_templates) {}
    TemplateSet templates;
    bool seq_known = false;
    uint16_t port = 0;  // the transport session the numbering belongs to
    uint32_t last_seq = 0;
    uint32_t last_all = 0;   // records of the last message, options records included
    uint32_t last_flow = 0;  // flow records only
    int mode = -1;           // which numbering the exporter uses, once seen (check_sequence)
  };
  // What a record's relative times are relative to.
  struct TimeBase {
    int64_t export_us = 0;   // the header's export time
    uint32_t uptime_ms = 0;  // v9 and v5: the exporter's uptime at export
    bool has_uptime = false;
  };
  struct PendingSet {
    SessionKey key;
    uint16_t template_id = 0;
    TimeBase time;
    std::vector<uint8_t> bytes;
  };

  void count(DecodeError e) { ++counters_.errors[static_cast<size_t>(e)]; }
  Session* session(const SessionKey& key);
  void check_sequence(Session& s, uint32_t seq, uint32_t all, uint32_t flows, bool counts_known,
                      bool per_datagram);
  void decode_v5(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> d,
                 std::vector<ExportRecord>& out);
  void decode_templated(const std::array<uint8_t, 16>& exporter, std::span<const uint8_t> d,
                        bool ipfix, std::vector<ExportRecord>& out);
  Session* session_from_port(const SessionKey& key);
  // Template sets: adds, refreshes or withdraws; replays data sets waiting for a new template.
  void read_templates(const SessionKey& key, Session& s, std::span<const uint8_t> set, bool ipfix,
                      bool options, std::vector<ExportRecord>& out);
  bool read_template_fields(std::span<const uint8_t> set, size_t& pos, size_t count, bool ipfix,
                            Template& t);
  // Decodes a data set's records; returns how many records it held (options ones included).
  size_t read_data(const Template& t, std::span<const uint8_t> set, const TimeBase& time,
                   uint8_t version, std::vector<ExportRecord>& out);
  void buffer_pending(const SessionKey& key, uint16_t id, const TimeBase& time,
                      std::span<const uint8_t> set);
  void replay_pending(const SessionKey& key, uint16_t id, const Template& t,
                      std::vector<ExportRecord>& out);

  DecoderLimits limits_;
  DecoderCounters counters_;
  std::unordered_map<SessionKey, Session, SessionKeyHash> sessions_;
  std::deque<PendingSet> pending_;
  size_t pending_bytes_ = 0;
  uint16_t port_ = 0;  // of the datagram being decoded
};

}  // namespace flowsentry::collect
