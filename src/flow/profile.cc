#include "flow/profile.h"

#include <bit>

#include <fmt/format.h>

namespace flowsentry::flow {
namespace {

// What every flow export gives: times, the 5-tuple's protocol and (by port) service, a state
// from the OR'd TCP flags, packet and byte counts, and what follows from them and from the
// addresses and ports of recent flows.
constexpr FieldSet kExportFields{
    kDur,           kProtoField,    kServiceField, kStateField, kSpkts,    kDpkts,
    kSbytes,        kDbytes,        kRate,         kSload,      kDload,    kSmean,
    kDmean,         kIsSmIpsPorts,  kCtSrvSrc,     kCtSrvDst,   kCtDstLtm, kCtSrcLtm,
    kCtSrcDportLtm, kCtDstSportLtm, kCtDstSrcLtm};

// Zeek's http.log and ftp.log, joined to conn.log by uid.
constexpr FieldSet kHttpFtpFields{kTransDepth, kResponseBodyLen, kCtFlwHttpMthd, kIsFtpLogin,
                                  kCtFtpCmd};

// TTLs, TCP windows and base sequence numbers and jitter: they tell the UNSW-NB15 testbed's
// hosts and tools apart more than attacks (flow-features.md, "Leakage").
constexpr FieldSet kTestbedFields{kSttl,  kDttl,  kCtStateTtl, kSwin, kDwin,
                                  kStcpb, kDtcpb, kSjit,       kDjit};

constexpr std::array<std::string_view, 3> kCategoryNames{"proto", "service", "state"};

}  // namespace

const std::array<Profile, 4> kProfiles{{
    {"full", FieldSet::all(),
     "every UNSW-NB15 feature: Argus + Bro extraction, or flowsentry's packet meter (capture)"},
    {"portable", FieldSet::all().without(kTestbedFields),
     "full without sttl, dttl, ct_state_ttl, swin, dwin, stcpb, dtcpb, sjit, djit, which "
     "identify the UNSW-NB15 testbed's hosts and do not carry over to other networks"},
    {"netflow", kExportFields,
     "what IPFIX/NetFlow v5/v9 and the 5-tuple give: dur, proto, service by port, state from "
     "the OR'd TCP flags, packets, bytes, rate, loads, mean sizes, is_sm_ips_ports and the "
     "address/port ct_* counts (no TTL, window, RTT, inter-arrival, loss or HTTP/FTP)"},
    {"conn", kExportFields.with(kHttpFtpFields),
     "Zeek conn.log (duration, orig/resp pkts and ip_bytes, service, conn_state, the 5-tuple) "
     "plus http.log/ftp.log joined by uid: netflow's fields and trans_depth, "
     "response_body_len, ct_flw_http_mthd, is_ftp_login, ct_ftp_cmd. A conn.log without "
     "http.log/ftp.log beside it fills netflow"},
}};

std::string_view field_name(size_t field) {
  if (field < kNumFieldCount) return kNumFields[field].name;
  if (field < kFieldCount) return kCategoryNames[field - kNumFieldCount];
  return {};
}

size_t field_by_name(std::string_view name) {
  if (auto f = num_field_by_name(name); f != kNumFieldCount) return f;
  for (size_t i = 0; i < kCategoryNames.size(); ++i) {
    if (kCategoryNames[i] == name) return kNumFieldCount + i;
  }
  return kFieldCount;
}

size_t FieldSet::size() const {
  return static_cast<size_t>(std::popcount(bits_));
}

std::vector<std::string_view> FieldSet::names() const {
  std::vector<std::string_view> out;
  for (size_t f = 0; f < kFieldCount; ++f) {
    if (has(f)) out.push_back(field_name(f));
  }
  return out;
}

const Profile& full_profile() {
  return kProfiles[0];
}

const Profile* profile_by_name(std::string_view name) {
  for (const auto& p : kProfiles) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::string profile_names() {
  std::string out;
  for (const auto& p : kProfiles) out += (out.empty() ? "" : ", ") + std::string(p.name);
  return out;
}

Status check_source_fills(const Profile& model, const Profile& source_fills,
                          std::string_view source) {
  const FieldSet missing = model.fields.without(source_fills.fields);
  if (missing.size() == 0) return {};
  std::vector<std::string_view> usable;
  for (const auto& p : kProfiles) {
    if (source_fills.fields.covers(p.fields)) usable.push_back(p.name);
  }
  const std::string advice = usable.empty() ? "no profile's model fits it"
                                            : fmt::format("score it with a model of profile {}",
                                                          fmt::join(usable, " or "));
  return make_error(ErrorCode::kIncompatible,
                    fmt::format("the model (profile '{}') needs {} feature{} that {} does not fill "
                                "(it fills profile '{}'): {}; {}",
                                model.name, missing.size(), missing.size() == 1 ? "" : "s", source,
                                source_fills.name, fmt::join(missing.names(), ", "), advice),
                    std::string(source));
}

}  // namespace flowsentry::flow
