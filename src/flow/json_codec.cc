#include "flow/json_codec.h"

#include <bitset>
#include <cmath>
#include <unordered_map>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <simdjson.h>

#include "common/assist.h"
#include "common/clock.h"
#include "flow/field_role.h"

namespace flowsentry::flow {
namespace {

namespace sj = simdjson;
namespace dom = simdjson::dom;

constexpr size_t kPrimeBytes = 128 << 10;  // about 180 flows

const std::unordered_map<std::string_view, int>& role_table() {
  static const auto table = [] {
    std::unordered_map<std::string_view, int> t;
    for (size_t i = 0; i < kNumFieldCount; ++i) t.emplace(kNumFields[i].name, static_cast<int>(i));
    t.emplace("proto", kProto);
    t.emplace("service", kService);
    t.emplace("state", kState);
    t.emplace("id", kId);
    t.emplace("stime", kStime);
    t.emplace("attack_cat", kAttackCat);
    t.emplace("label", kLabel);
    t.emplace("ltime", kLtime);
    t.emplace("srcip", kSrcip);
    t.emplace("sport", kSport);
    t.emplace("dstip", kDstip);
    t.emplace("dsport", kDsport);
    t.emplace("arp_sha", kArpSha);
    t.emplace("arp_tha", kArpTha);
    return t;
  }();
  return table;
}

// Keys in the order the data set (and our encoder) writes them. Decoding checks the next
// expected key first and only falls back to the hash table when the order differs.
const std::vector<std::pair<std::string_view, int>>& key_order() {
  static const auto order = [] {
    std::vector<std::pair<std::string_view, int>> o{
        {"id", kId},       {"stime", kStime},     {"ltime", kLtime},   {"srcip", kSrcip},
        {"sport", kSport}, {"dstip", kDstip},     {"dsport", kDsport}, {"dur", kDur},
        {"proto", kProto}, {"service", kService}, {"state", kState}};
    for (size_t i = kSpkts; i < kNumFieldCount; ++i) {
      o.emplace_back(kNumFields[i].name, static_cast<int>(i));
    }
    o.emplace_back("attack_cat", kAttackCat);
    o.emplace_back("label", kLabel);
    return o;
  }();
  return order;
}

int role_of(std::string_view key, size_t& hint) {
  const auto& order = key_order();
  for (size_t i = hint; i < order.size() && i < hint + 3; ++i) {
    if (order[i].first == key) {
      hint = i + 1;
      return order[i].second;
    }
  }
  auto it = role_table().find(key);
  return it == role_table().end() ? kIgnore : it->second;
}

constexpr size_t kProtoBit = kNumFieldCount;
constexpr size_t kServiceBit = kNumFieldCount + 1;
constexpr size_t kStateBit = kNumFieldCount + 2;
using Seen = std::bitset<kNumFieldCount + 3>;

std::string pointer(std::string_view key) {
  return fmt::format("/{}", key);
}

bool is_number(dom::element_type t) {
  return t == dom::element_type::INT64 || t == dom::element_type::UINT64 ||
         t == dom::element_type::DOUBLE;
}

// Reads a value as a number; a string holding a number is accepted too.
std::optional<FieldProblem> read_number(dom::element v, NumField f, double& out) {
  std::optional<FieldProblem> p;
  if (is_number(v.type())) {
    out = double(v);
    p = check_num(f, out);
  } else if (v.type() == dom::element_type::STRING) {
    p = parse_num(f, std::string_view(v), out);
  } else {
    p = FieldProblem{"", "expected a number", "bad_number"};
  }
  return p;
}

std::optional<FieldProblem> read_string(dom::element v, std::string_view& out) {
  if (v.is_null()) {
    out = {};
    return std::nullopt;
  }
  if (v.type() != dom::element_type::STRING) {
    return FieldProblem{"", "expected a string", "bad_category"};
  }
  out = std::string_view(v);
  return std::nullopt;
}

// Problems come back without a field name; the caller adds the JSON pointer, so the
// pointer string is only built for bad records.
std::optional<FieldProblem> read_field(int role, dom::element v, FlowRecord& rec, Seen& seen) {
  if (role >= 0) {
    seen.set(role);
    return read_number(v, static_cast<NumField>(role), rec.num[role]);
  }
  std::string_view text;
  std::optional<FieldProblem> p;
  switch (role) {
    case kProto:
    case kService:
    case kState: {
      if ((p = read_string(v, text))) return p;
      auto name = role == kProto ? "proto" : role == kService ? "service" : "state";
      auto& dst = role == kProto ? rec.proto : role == kService ? rec.service : rec.state;
      seen.set(role == kProto ? kProtoBit : role == kService ? kServiceBit : kStateBit);
      p = set_category(name, text, dst);
      break;
    }
    case kAttackCat:
      if ((p = read_string(v, text))) return p;
      p = set_attack_cat(text, rec.attack_cat);
      break;
    case kLabel: {
      if (v.is_null()) break;
      int64_t l = -1;
      if (v.get_int64().get(l) || (l != 0 && l != 1)) {
        return FieldProblem{"", "expected 0 or 1", "bad_label"};
      }
      rec.label = static_cast<int>(l);
      break;
    }
    case kId: {
      int64_t id = 0;
      if (!v.get_int64().get(id)) rec.id = id;
      break;
    }
    case kStime:
    case kLtime: {
      if (!is_number(v.type())) {
        return FieldProblem{"", "expected a time in epoch seconds", "bad_number"};
      }
      const double t = double(v);
      if (auto bad = check_time(role == kStime ? "stime" : "ltime", t, wall_seconds())) {
        return bad;
      }
      (role == kStime ? rec.stime : rec.ltime) = t;
      break;
    }
    case kSrcip:
    case kDstip: {
      if ((p = read_string(v, text))) return p;
      auto& dst = role == kSrcip ? rec.srcip : rec.dstip;
      if (v.is_null()) {
        dst.reset();
      } else if ((p = set_address(role == kSrcip ? "srcip" : "dstip", text, dst))) {
        return p;
      }
      break;
    }
    case kArpSha:
    case kArpTha: {
      if ((p = read_string(v, text))) return p;
      auto& dst = role == kArpSha ? rec.arp_sha : rec.arp_tha;
      if (v.is_null()) {
        dst.reset();
      } else {
        dst.emplace(text.data(), text.size());
      }
      break;
    }
    case kSport:
    case kDsport: {
      const char* name = role == kSport ? "sport" : "dsport";
      auto& dst = role == kSport ? rec.sport : rec.dsport;
      int64_t port = 0;
      if (v.is_null()) {
        dst.reset();
      } else if (v.type() == dom::element_type::STRING) {
        if ((p = set_port(name, std::string_view(v), dst))) return p;
      } else if (!v.get_int64().get(port)) {
        if ((p = check_port(name, port))) return p;
        dst = port;
      } else {
        return FieldProblem{"", "expected a port (0-65535)", "bad_port"};
      }
      break;
    }
    default:
      break;
  }
  return p;
}

// Problems name the field as a pointer within the object ("/sbytes", or "/" for the object).
std::optional<FieldProblem> decode_object(dom::element element, FlowRecord& rec) {
  dom::object obj;
  if (element.get_object().get(obj)) {
    return FieldProblem{"/", "expected a flow object", "bad_json"};
  }
  // One char by hand: assigning the string_view trips GCC 12's false -Wrestrict at -O3.
  rec.service.assign(kNone.size(), kNone[0]);
  rec.id.reset();
  rec.stime.reset();
  rec.ltime.reset();
  rec.srcip.reset();
  rec.sport.reset();
  rec.dstip.reset();
  rec.dsport.reset();
  rec.arp_sha.reset();
  rec.arp_tha.reset();
  rec.attack_cat.reset();
  rec.label.reset();
  Seen seen;
  size_t hint = 0;
  for (auto field : obj) {
    int role = role_of(field.key, hint);
    if (role == kIgnore) continue;  // extra fields are ignored, as extra CSV columns are
    if (auto p = read_field(role, field.value, rec, seen)) {
      p->field = pointer(field.key);
      return p;
    }
  }
  if (!seen.all()) {
    for (size_t i = 0; i < seen.size(); ++i) {
      if (seen.test(i)) continue;
      std::string_view name = i < kNumFieldCount ? kNumFields[i].name
                              : i == kProtoBit   ? "proto"
                              : i == kServiceBit ? "service"
                                                 : "state";
      return FieldProblem{pointer(name), "required field is missing", "missing_field"};
    }
  }
  return std::nullopt;
}

// Elements are decoded in place, half of a long array by the Assist thread (the document is
// only read); the element's pointer prefix ("/7") is built only for a problem.
void decode_array(const dom::array& array, std::vector<FlowRecord>& out,
                  std::vector<RecordProblem>& problems, std::vector<dom::element>& elements,
                  std::vector<std::optional<FieldProblem>>& found) {
  constexpr size_t kParallelArray = 256;
  elements.assign(array.begin(), array.end());
  const size_t n = elements.size(), base = out.size();
  out.resize(base + n);
  found.assign(n, std::nullopt);
  auto run = [&](size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) found[i] = decode_object(elements[i], out[base + i]);
  };
  if (n >= kParallelArray && Assist::global().start([&] { run(n / 2, n); })) {
    run(0, n / 2);
    Assist::global().wait();
  } else {
    run(0, n);
  }
  size_t kept = base;
  for (size_t i = 0; i < n; ++i) {
    if (auto& p = found[i]) {
      p->field = fmt::format("/{}{}", i, p->field == "/" ? "" : p->field);
      problems.push_back({i, std::move(*p)});
    } else if (kept++ != base + i) {
      out[kept - 1] = std::move(out[base + i]);
    }
  }
  out.resize(kept);
}

}  // namespace

struct JsonDecoder::Impl {
  dom::parser parser;
  std::vector<dom::element> elements;
  std::vector<std::optional<FieldProblem>> found;
};

JsonDecoder::JsonDecoder() : impl_(std::make_unique<Impl>()) {}
JsonDecoder::~JsonDecoder() = default;

Status JsonDecoder::decode(std::string_view json, std::vector<FlowRecord>& out,
                           std::vector<RecordProblem>& problems, bool* is_array,
                           size_t max_elements) {
  // A long array is decoded (and then scored) in halves: wake the helper while parsing.
  if (json.size() >= kPrimeBytes) Assist::global().prime();
  dom::element doc;
  if (auto ec = impl_->parser.parse(json.data(), json.size()).get(doc)) {
    return make_error(ErrorCode::kParse, fmt::format("invalid JSON: {}", sj::error_message(ec)));
  }
  if (is_array) *is_array = doc.is_array();
  if (doc.is_object()) {
    FlowRecord rec;
    if (auto p = decode_object(doc, rec)) {
      problems.push_back({0, std::move(*p)});
    } else {
      out.push_back(std::move(rec));
    }
    return {};
  }
  if (!doc.is_array()) {
    return make_error(ErrorCode::kParse, "expected a flow object or an array of flow objects");
  }
  const dom::array array(doc);
  // The tape stores the count (saturating at 2^24 - 1, still above any sane limit): O(1).
  if (const size_t n = array.size(); n > max_elements) {
    return make_error(ErrorCode::kInvalidArgument,
                      fmt::format("array has {}{} flows; at most {}", n >= 0xFFFFFF ? "over " : "",
                                  n, max_elements),
                      "/");
  }
  decode_array(array, out, problems, impl_->elements, impl_->found);
  return {};
}

void JsonDecoder::shrink(size_t bytes) {
  if (impl_->parser.capacity() > bytes) impl_->parser = dom::parser();
  if (impl_->elements.capacity() * sizeof(dom::element) > bytes) {
    std::vector<dom::element>().swap(impl_->elements);
    std::vector<std::optional<FieldProblem>>().swap(impl_->found);
  }
}

std::optional<FieldProblem> JsonDecoder::decode_one(std::string_view json, FlowRecord& out) {
  dom::element doc;
  if (auto ec = impl_->parser.parse(json.data(), json.size()).get(doc)) {
    return FieldProblem{"", fmt::format("invalid JSON: {}", sj::error_message(ec)), "bad_json"};
  }
  return decode_object(doc, out);
}

void append_json(const FlowRecord& rec, std::string& out) {
  // fmt::memory_buffer keeps the formatting on the stack; appending to `out` once is much
  // faster than a back_inserter into the string.
  fmt::memory_buffer buf;
  auto it = std::back_inserter(buf);
  buf.push_back('{');
  if (rec.id) fmt::format_to(it, FMT_COMPILE("\"id\":{},"), *rec.id);
  if (rec.stime) fmt::format_to(it, FMT_COMPILE("\"stime\":{},"), *rec.stime);
  // proto/service/state are validated to hold no control characters; escape quotes and '\\'.
  auto put_str = [&](std::string_view key, std::string_view v) {
    fmt::format_to(it, FMT_COMPILE("\"{}\":\""), key);
    for (char c : v) {
      if (c == '"' || c == '\\') buf.push_back('\\');
      buf.push_back(c);
    }
    buf.append(std::string_view("\","));
  };
  if (rec.ltime) fmt::format_to(it, FMT_COMPILE("\"ltime\":{},"), *rec.ltime);
  if (rec.srcip) put_str("srcip", *rec.srcip);
  if (rec.sport) fmt::format_to(it, FMT_COMPILE("\"sport\":{},"), *rec.sport);
  if (rec.dstip) put_str("dstip", *rec.dstip);
  if (rec.dsport) fmt::format_to(it, FMT_COMPILE("\"dsport\":{},"), *rec.dsport);
  // Data set order (dur, proto, service, state, spkts, ...), which the decoder expects first.
  fmt::format_to(it, FMT_COMPILE("\"dur\":{},"), rec.num[kDur]);
  put_str("proto", rec.proto);
  put_str("service", rec.service);
  put_str("state", rec.state);
  for (size_t i = kSpkts; i < kNumFieldCount; ++i) {
    fmt::format_to(it, FMT_COMPILE("\"{}\":{},"), kNumFields[i].name, rec.num[i]);
  }
  if (rec.arp_sha) put_str("arp_sha", *rec.arp_sha);
  if (rec.arp_tha) put_str("arp_tha", *rec.arp_tha);
  if (rec.attack_cat) put_str("attack_cat", *rec.attack_cat);
  if (rec.label) fmt::format_to(it, FMT_COMPILE("\"label\":{},"), *rec.label);
  buf[buf.size() - 1] = '}';
  out.append(buf.data(), buf.size());
}

void append_json_string(std::string& out, std::string_view s) {
  out += '"';
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      fmt::format_to(std::back_inserter(out), FMT_COMPILE("\\u{:04x}"), static_cast<int>(c));
    } else {
      out += c;
    }
  }
  out += '"';
}

std::string to_json(const FlowRecord& rec) {
  std::string s;
  s.reserve(900);
  append_json(rec, s);
  return s;
}

}  // namespace flowsentry::flow
