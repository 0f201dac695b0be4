#include "store/pg_write.h"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "flow/address.h"
#include "store/feedback.h"
#include "store/write_batch.h"

namespace flowsentry::store {

const char* const kPgFlowColumns =
    "stime, source, source_partition, source_offset, score, label, attack_cat, proto, state, "
    "service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, dur, tcprtt, synack, ackdat, "
    "ct_state_ttl, model_version, explanation, ltime, srcip, sport, dstip, dsport, sbytes, "
    "dbytes, features";

namespace {

constexpr int16_t kFieldCount = 33;

template <class U>
void put_be(std::string& out, U v) {
  char b[sizeof(U)];
  for (size_t i = 0; i < sizeof(U); ++i) {
    b[i] = static_cast<char>((v >> (8 * (sizeof(U) - 1 - i))) & 0xff);
  }
  out.append(b, sizeof(U));
}

void put_f8(std::string& out, double v) {
  put_be<uint32_t>(out, 8);
  put_be<uint64_t>(out, std::bit_cast<uint64_t>(v));
}
void put_i8(std::string& out, int64_t v) {
  put_be<uint32_t>(out, 8);
  put_be<uint64_t>(out, static_cast<uint64_t>(v));
}
void put_i4(std::string& out, int32_t v) {
  put_be<uint32_t>(out, 4);
  put_be<uint32_t>(out, static_cast<uint32_t>(v));
}
void put_text(std::string& out, std::string_view s) {
  put_be<uint32_t>(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

void put_null(std::string& out) {
  put_be<uint32_t>(out, 0xffffffff);  // length -1
}

// inet's binary form: family (2 = IPv4, 3 = IPv6, PostgreSQL's own numbers), prefix bits,
// is_cidr, address length, address. check_batch has made sure the text parses.
void put_inet(std::string& out, const std::optional<std::string>& ip) {
  auto a = ip ? flow::parse_address(*ip) : std::nullopt;
  if (!a) return put_null(out);
  const bool v4 = flow::is_ipv4_mapped(*a);
  put_be<uint32_t>(out, v4 ? 8 : 20);
  out += static_cast<char>(v4 ? 2 : 3);
  out += static_cast<char>(v4 ? 32 : 128);
  out += '\0';
  out += static_cast<char>(v4 ? 4 : 16);
  out.append(reinterpret_cast<const char*>(a->data()) + (v4 ? 12 : 0), v4 ? 4 : 16);
}

void put_identity(std::string& out, const flow::FlowRecord& f) {
  f.ltime ? put_f8(out, *f.ltime) : put_null(out);
  put_inet(out, f.srcip);
  f.sport ? put_i4(out, static_cast<int32_t>(*f.sport)) : put_null(out);
  put_inet(out, f.dstip);
  f.dsport ? put_i4(out, static_cast<int32_t>(*f.dsport)) : put_null(out);
}

// An element of a float8[] literal: the shortest text that reads back to the same double.
std::string array_double(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

// An element of a text[] literal, double-quoted.
std::string array_text(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + '"';
}

}  // namespace

std::string pg_binary_copy(std::span<const model::ScoredFlow> batch, double feature_sample) {
  static constexpr flow::NumField kNums[] = {
      flow::kSload, flow::kDload, flow::kSpkts, flow::kDpkts,  flow::kSjit,   flow::kDjit,
      flow::kSttl,  flow::kDttl,  flow::kDur,   flow::kTcprtt, flow::kSynack, flow::kAckdat};
  std::string out;
  out.reserve(19 + batch.size() * 400);
  out.append("PGCOPY\n\377\r\n\0", 11);
  put_be<uint32_t>(out, 0);  // flags
  put_be<uint32_t>(out, 0);  // header extension length
  for (const auto& sf : batch) {
    const auto& f = sf.flow;
    const auto& v = sf.verdict;
    put_be<uint16_t>(out, kFieldCount);
    put_f8(out, *f.stime);
    put_text(out, f.key.source);
    put_i8(out, f.key.partition);
    put_i8(out, f.key.offset);
    put_f8(out, v.score);
    put_i4(out, v.label);
    put_text(out, v.attack_cat);
    put_text(out, f.proto);
    put_text(out, f.state);
    put_text(out, f.service);
    for (flow::NumField k : kNums) put_f8(out, f[k]);
    put_i8(out, static_cast<int64_t>(f[flow::kCtStateTtl]));
    put_text(out, v.model_version);
    put_text(out, explanation_json(v));
    put_identity(out, f);
    put_f8(out, f[flow::kSbytes]);
    put_f8(out, f[flow::kDbytes]);
    keeps_features(sf, feature_sample) ? put_text(out, encode_features(f)) : put_null(out);
  }
  put_be<uint16_t>(out, 0xffff);  // trailer: field count -1
  return out;
}

std::string pg_literal(std::string_view s) {
  const bool backslash = s.find('\\') != std::string_view::npos;
  std::string out = backslash ? "E'" : "'";
  for (char ch : s) {
    if (ch == '\'') out += '\'';
    if (ch == '\\') out += '\\';
    out += ch;
  }
  return out + "'";
}

// Rollup rows go as one array literal per column through unnest(): array_in reads them far
// faster than the server would parse and coerce a VALUES list of constants.
std::string pg_rollup_sql(const RollupBuilder& rollups) {
  std::string sql;
  for (const auto& t : rollups.tables()) {
    if (t.groups.empty()) continue;
    const size_t ncols = static_cast<size_t>(rollup_columns(t));
    std::vector<std::string> cols(ncols, "{");
    for (const auto& [k, s] : t.groups) {
      const bool first = cols[0].size() == 1;
      size_t c = 0;
      auto put = [&](std::string_view v) {
        if (!first) cols[c] += ',';
        cols[c++] += v;
      };
      put(fmt::format("{}", k.bucket));
      if (!t.totals) {
        put(array_text(k.proto));
        put(array_text(k.service));
        put(array_text(k.state));
      }
      put(fmt::format("{}", k.label));
      if (!t.totals) put(fmt::format("{}", k.ct_state_ttl));
      put(fmt::format("{}", s.n));
      put(array_double(s.score_sum));
      for (double v : s.kpi_sum) put(array_double(v));
    }
    sql += rollup_insert_head(t);
    sql += " SELECT * FROM unnest(";
    for (size_t c = 0; c < ncols; ++c) {
      const char* type = t.totals ? (c == 0 || c == 2 ? "bigint"
                                     : c == 1         ? "integer"
                                                      : "float8")
                                  : (c == 0 || c == 5 || c == 6 ? "bigint"
                                     : c >= 1 && c <= 3         ? "text"
                                     : c == 4                   ? "integer"
                                                                : "float8");
      fmt::format_to(std::back_inserter(sql), "{}{}::{}[]", c ? ", " : "",
                     pg_literal(cols[c] + "}"), type);
    }
    sql += ")";
    sql += rollup_conflict_tail(t);
    sql += ";\n";
  }
  return sql + pg_host_rollup_sql(rollups);
}

// The same unnest() form for host_rollup_1h; addresses as inet text (IPv4 as IPv4, as stored).
std::string pg_host_rollup_sql(const RollupBuilder& rollups) {
  if (rollups.hosts().empty()) return "";
  std::array<std::string, 7> cols;
  for (const auto& [k, s] : rollups.hosts()) {
    const char* sep = cols[0].empty() ? "{" : ",";
    cols[0] += fmt::format("{}{}", sep, k.hour);
    cols[1] += fmt::format("{}{}", sep, static_cast<int>(k.side));
    cols[2] += fmt::format("{}{}", sep, flow::format_address(k.address));
    cols[3] += fmt::format("{}{}", sep, s.flows);
    cols[4] += fmt::format("{}{}", sep, s.anomalies);
    cols[5] += fmt::format("{}{}", sep, array_double(s.bytes));
    cols[6] += fmt::format("{}{}", sep, array_double(s.max_score));
  }
  static constexpr const char* kTypes[] = {"bigint", "smallint", "inet",  "bigint",
                                           "bigint", "float8",   "float8"};
  std::string sql = host_rollup_insert_head() + " SELECT * FROM unnest(";
  for (size_t c = 0; c < cols.size(); ++c) {
    fmt::format_to(std::back_inserter(sql), "{}{}::{}[]", c ? ", " : "", pg_literal(cols[c] + "}"),
                   kTypes[c]);
  }
  return sql + ")" + host_rollup_conflict_tail("greatest") + ";\n";
}

}  // namespace flowsentry::store
