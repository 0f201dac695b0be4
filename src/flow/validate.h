// Validation rules for flow values, shared by every codec. A problem names the field and says
// what is wrong; `reason` is a short stable code used as the rejected-records metric label.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flow/flow_record.h"

namespace flowsentry::flow {

struct FieldProblem {
  std::string field;    // column name (CSV) or JSON pointer ("/3/sbytes")
  std::string problem;  // human-readable: "value -1 is negative"
  std::string reason;  // metric label: bad_number, non_finite, negative, not_integer, out_of_range,
                       // missing_field, bad_category, bad_label, bad_json, bad_csv
};

// Checks one numeric value against its field's kind. nullopt when it is valid.
std::optional<FieldProblem> check_num(NumField field, double value);

// Checks an event time (stime, ltime) in epoch seconds: finite and within
// [kMinEventTime, now + kMaxEventTimeAhead]. nullopt when it is valid.
std::optional<FieldProblem> check_time(std::string_view field, double value, double now);

// Parses text as a number for `field` and checks it. Leading/trailing spaces are allowed.
std::optional<FieldProblem> parse_num(NumField field, std::string_view text, double& out);

// Checks and normalises a categorical value (proto, service, state): trims spaces; empty
// service/state become "-"; empty proto, or one with control characters, is a problem.
std::optional<FieldProblem> set_category(std::string_view field, std::string_view text,
                                         std::string& out);

// label must be 0 or 1; attack_cat must be one of the ten categories (case-insensitive,
// normalised to the canonical spelling; "Backdoors" is accepted as "Backdoor").
std::optional<FieldProblem> set_label(std::string_view text, std::optional<int>& out);
std::optional<FieldProblem> set_attack_cat(std::string_view text, std::optional<std::string>& out);

// A port of the identity columns: decimal, or hex as the full UNSW-NB15 CSVs write ICMP
// type/code ("0x000b"). Anything else ("-", empty, out of range) is absent, not an error:
// identity columns are informational and never stop a record.
std::optional<int64_t> parse_port(std::string_view text);

// The identity columns as codecs set them. Empty or "-" is absent. An address must be IPv4 or
// IPv6 text (inet_pton) and is stored in canonical form (IPv4-mapped IPv6 as dotted IPv4,
// lower-case RFC 5952 IPv6); anything else is a `bad_address` problem. A port is 0..65535,
// decimal or 0x-hex; anything else is a `bad_port` problem. Stores, Kafka keys and host queries
// rely on these being real addresses and ports.
std::optional<FieldProblem> set_address(std::string_view field, std::string_view text,
                                        std::optional<std::string>& out);
std::optional<FieldProblem> set_port(std::string_view field, std::string_view text,
                                     std::optional<int64_t>& out);
std::optional<FieldProblem> check_port(std::string_view field, int64_t value);

}  // namespace flowsentry::flow
