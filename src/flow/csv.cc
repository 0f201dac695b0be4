#include "flow/csv.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/compile.h>
#include <fmt/format.h>

#include "common/clock.h"
#include "flow/field_role.h"

namespace flowsentry::flow {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";

// Spellings used by the original four-file UNSW-NB15 release.
constexpr std::array<std::pair<std::string_view, std::string_view>, 6> kAliases{{
    {"smeansz", "smean"},
    {"dmeansz", "dmean"},
    {"res_bdy_len", "response_body_len"},
    {"sintpkt", "sinpkt"},
    {"dintpkt", "dinpkt"},
    {"ct_src_ ltm", "ct_src_ltm"},
}};

std::string normalise_name(std::string_view raw) {
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.front()))) {
    raw.remove_prefix(1);
  }
  while (!raw.empty() && std::isspace(static_cast<unsigned char>(raw.back()))) {
    raw.remove_suffix(1);
  }
  std::string name(raw);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (auto [from, to] : kAliases) {
    if (name == from) return std::string(to);
  }
  return name;
}

int role_of(const std::string& name) {
  NumField f = num_field_by_name(name);
  if (f != kNumFieldCount) return f;
  if (name == "proto") return kProto;
  if (name == "service") return kService;
  if (name == "state") return kState;
  if (name == "id") return kId;
  if (name == "stime") return kStime;
  if (name == "attack_cat") return kAttackCat;
  if (name == "label") return kLabel;
  if (name == "ltime") return kLtime;
  if (name == "srcip") return kSrcip;
  if (name == "sport") return kSport;
  if (name == "dstip") return kDstip;
  if (name == "dsport") return kDsport;
  if (name == "arp_sha") return kArpSha;
  if (name == "arp_tha") return kArpTha;
  return kIgnore;
}

}  // namespace

bool split_csv_line(std::string_view line, CsvFields& fields) {
  fields.count = 0;
  size_t i = 0;
  const size_t n = line.size();
  while (true) {
    size_t k = fields.count++;
    if (k == fields.views.size()) fields.views.emplace_back();
    size_t end;
    if (i < n && line[i] == '"') {
      size_t q = line.find('"', i + 1);
      if (q == std::string_view::npos) return false;
      if (q + 1 < n && line[q + 1] == '"') {
        // Doubled quotes inside: unquote into owned storage.
        while (fields.unquoted.size() <= k) fields.unquoted.emplace_back();
        std::string& f = fields.unquoted[k];
        f.assign(line.substr(i + 1, q - i - 1));
        i = q + 1;
        while (i < n && line[i] == '"') {
          size_t next = line.find('"', i + 1);
          if (next == std::string_view::npos) return false;
          f.push_back('"');
          f.append(line.substr(i + 1, next - i - 1));
          i = next + 1;
          if (i < n && line[i] != '"') break;
        }
        end = line.find(',', i);
        end = end == std::string_view::npos ? n : end;
        f.append(line.substr(i, end - i));  // lenient: text after the closing quote is kept
        fields.views[k] = f;
      } else {
        end = line.find(',', q + 1);
        end = end == std::string_view::npos ? n : end;
        if (end == q + 1) {
          fields.views[k] = line.substr(i + 1, q - i - 1);
        } else {
          while (fields.unquoted.size() <= k) fields.unquoted.emplace_back();
          std::string& f = fields.unquoted[k];
          f.assign(line.substr(i + 1, q - i - 1));
          f.append(line.substr(q + 1, end - q - 1));
          fields.views[k] = f;
        }
      }
    } else {
      end = line.find(',', i);
      end = end == std::string_view::npos ? n : end;
      fields.views[k] = line.substr(i, end - i);
    }
    if (end >= n) return true;
    i = end + 1;
  }
}

Result<CsvSchema> CsvSchema::from_header(std::string_view header) {
  if (header.starts_with(kBom)) header.remove_prefix(kBom.size());
  while (!header.empty() && (header.back() == '\r' || header.back() == '\n')) {
    header.remove_suffix(1);
  }
  CsvFields fields;
  if (!split_csv_line(header, fields)) {
    return make_error(ErrorCode::kParse, "header has an unterminated quote", "line 1");
  }
  CsvSchema s;
  std::array<bool, kNumFieldCount> seen_num{};
  bool seen_proto = false, seen_service = false, seen_state = false;
  for (size_t i = 0; i < fields.count; ++i) {
    auto name = normalise_name(fields.views[i]);
    int role = role_of(name);
    if (role >= 0) seen_num[role] = true;
    seen_proto |= role == kProto;
    seen_service |= role == kService;
    seen_state |= role == kState;
    s.has_label_ |= role == kLabel;
    s.has_attack_cat_ |= role == kAttackCat;
    s.roles_.push_back(role);
    s.names_.push_back(name);
  }
  std::vector<std::string> missing;
  for (size_t f = 0; f < kNumFieldCount; ++f) {
    if (!seen_num[f]) missing.emplace_back(kNumFields[f].name);
  }
  if (!seen_proto) missing.emplace_back("proto");
  if (!seen_service) missing.emplace_back("service");
  if (!seen_state) missing.emplace_back("state");
  if (!missing.empty()) {
    return make_error(ErrorCode::kValidation,
                      fmt::format("header is missing required column{} {}",
                                  missing.size() > 1 ? "s" : "", fmt::join(missing, ", ")),
                      "line 1");
  }
  return s;
}

const CsvSchema& CsvSchema::canonical() {
  static const CsvSchema schema = [] {
    // UNSW-NB15 order: id, dur, proto, service, state, spkts, ... then attack_cat, label.
    std::string header = "id,dur,proto,service,state";
    for (size_t f = kSpkts; f < kNumFieldCount; ++f)
      header += fmt::format(",{}", kNumFields[f].name);
    header += ",attack_cat,label";
    return std::move(from_header(header).value());
  }();
  return schema;
}

std::optional<FieldProblem> CsvSchema::decode(std::string_view line, FlowRecord& rec,
                                              CsvFields& scratch) const {
  if (!split_csv_line(line, scratch)) {
    return FieldProblem{"", "unterminated quoted field", "bad_csv"};
  }
  const size_t count = scratch.count;
  if (count != roles_.size()) {
    return FieldProblem{"", fmt::format("has {} fields, the header has {}", count, roles_.size()),
                        "bad_csv"};
  }
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
  for (size_t i = 0; i < count; ++i) {
    std::string_view text = scratch.views[i];
    int role = roles_[i];
    std::optional<FieldProblem> p;
    if (role >= 0) {
      p = parse_num(static_cast<NumField>(role), text, rec.num[role]);
    } else {
      switch (role) {
        case kProto:
          p = set_category("proto", text, rec.proto);
          break;
        case kService:
          p = set_category("service", text, rec.service);
          break;
        case kState:
          p = set_category("state", text, rec.state);
          break;
        case kAttackCat:
          p = set_attack_cat(text, rec.attack_cat);
          break;
        case kLabel:
          p = set_label(text, rec.label);
          break;
        case kId: {
          int64_t v = 0;
          auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
          if (ec == std::errc() && ptr == text.data() + text.size()) rec.id = v;
          break;
        }
        case kStime:
        case kLtime: {
          double v = 0;
          auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
          const char* name = role == kStime ? "stime" : "ltime";
          if (ec != std::errc() || ptr != text.data() + text.size()) {
            p = FieldProblem{name, fmt::format("'{}' is not a time in epoch seconds", text),
                             "bad_number"};
          } else if (!(p = check_time(name, v, wall_seconds()))) {
            (role == kStime ? rec.stime : rec.ltime) = v;
          }
          break;
        }
        case kSrcip:
          p = set_address("srcip", text, rec.srcip);
          break;
        case kDstip:
          p = set_address("dstip", text, rec.dstip);
          break;
        case kArpSha:
        case kArpTha:
          if (!text.empty()) {
            (role == kArpSha ? rec.arp_sha : rec.arp_tha).emplace(text.data(), text.size());
          }
          break;
        case kSport:
          p = set_port("sport", text, rec.sport);
          break;
        case kDsport:
          p = set_port("dsport", text, rec.dsport);
          break;
        default:
          break;
      }
    }
    if (p) {
      p->field = names_[i];
      if (!text.empty() && p->problem.find('\'') == std::string::npos &&
          p->reason != "missing_value") {
        p->problem += fmt::format(" (value '{}')", text.size() > 40 ? text.substr(0, 40) : text);
      }
      return p;
    }
  }
  return std::nullopt;
}

void append_csv_field(std::string& out, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(v);
    return;
  }
  out += '"';
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

std::string identity_csv_header() {
  std::string h = "stime,ltime,srcip,sport,dstip,dsport,dur,proto,service,state";
  for (size_t f = kSpkts; f < kNumFieldCount; ++f) h += fmt::format(",{}", kNumFields[f].name);
  return h;
}

namespace {

using CsvBuffer = fmt::memory_buffer;

// Compiled format strings: the same text as fmt::format("{}", v), without parsing the format
// at run time or growing the output string a character at a time (a tenth of capture's time).
void append_number(CsvBuffer& buf, NumField f, double v) {
  if (kNumFields[f].kind != ValueKind::kReal) {
    const fmt::format_int text(static_cast<int64_t>(v));
    buf.append(text.data(), text.data() + text.size());
  } else if (v == 0 && !std::signbit(v)) {
    buf.push_back('0');  // most real fields of a short flow
  } else {
    fmt::format_to(std::back_inserter(buf), FMT_COMPILE("{}"), v);
  }
}

void append_int(CsvBuffer& buf, int64_t v) {
  const fmt::format_int text(v);
  buf.append(text.data(), text.data() + text.size());
}

void append_text(CsvBuffer& buf, std::string_view v) {
  if (v.find_first_of(",\"\r\n") == std::string_view::npos) {
    buf.append(v.data(), v.data() + v.size());
    return;
  }
  std::string quoted;
  append_csv_field(quoted, v);
  buf.append(quoted.data(), quoted.data() + quoted.size());
}

}  // namespace

void append_identity_csv(const FlowRecord& rec, std::string& out) {
  CsvBuffer buf;
  auto it = std::back_inserter(buf);
  if (rec.stime) fmt::format_to(it, FMT_COMPILE("{:.6f}"), *rec.stime);
  buf.push_back(',');
  if (rec.ltime) fmt::format_to(it, FMT_COMPILE("{:.6f}"), *rec.ltime);
  buf.push_back(',');
  if (rec.srcip) append_text(buf, *rec.srcip);
  buf.push_back(',');
  if (rec.sport) append_int(buf, *rec.sport);
  buf.push_back(',');
  if (rec.dstip) append_text(buf, *rec.dstip);
  buf.push_back(',');
  if (rec.dsport) append_int(buf, *rec.dsport);
  buf.push_back(',');
  append_number(buf, kDur, rec.num[kDur]);
  buf.push_back(',');
  append_text(buf, rec.proto);
  buf.push_back(',');
  append_text(buf, rec.service);
  buf.push_back(',');
  append_text(buf, rec.state);
  for (size_t f = kSpkts; f < kNumFieldCount; ++f) {
    buf.push_back(',');
    append_number(buf, static_cast<NumField>(f), rec.num[f]);
  }
  buf.push_back('\n');
  out.append(buf.data(), buf.size());
}

Result<std::unique_ptr<CsvReader>> CsvReader::open(const std::string& path) {
  auto in = std::make_unique<std::ifstream>(path, std::ios::binary);
  if (!*in) return make_error(ErrorCode::kNotFound, "cannot open file", path);
  return from_stream(std::move(in), path);
}

Result<std::unique_ptr<CsvReader>> CsvReader::from_stream(std::unique_ptr<std::istream> in,
                                                          std::string source) {
  std::unique_ptr<CsvReader> r(new CsvReader(std::move(in), std::move(source)));
  std::string header;
  if (!r->read_logical_line(header)) {
    return make_error(ErrorCode::kParse, "file is empty (no header line)", r->source_);
  }
  auto schema = CsvSchema::from_header(header);
  if (!schema.ok()) {
    return make_error(schema.error().code, schema.error().message, r->source_ + ":1");
  }
  r->schema_ = std::move(schema.value());
  return r;
}

bool CsvReader::read_logical_line(std::string& out) {
  row_line_ = next_line_;
  if (!std::getline(*in_, out)) return false;
  ++next_line_;
  if (!out.empty() && out.back() == '\r') out.pop_back();
  // A quoted field may hold a line break: keep reading while the quotes are unbalanced.
  while (std::count(out.begin(), out.end(), '"') % 2 == 1 && std::getline(*in_, more_)) {
    ++next_line_;
    if (!more_.empty() && more_.back() == '\r') more_.pop_back();
    out += '\n';
    out += more_;
  }
  return true;
}

CsvReader::Next CsvReader::next(FlowRecord& rec, FieldProblem& problem) {
  do {
    if (!read_logical_line(buf_)) return Next::kEnd;
  } while (buf_.empty());
  auto p = schema_.decode(buf_, rec, scratch_);
  rec.key.source = source_;
  rec.key.partition = 0;
  rec.key.offset = row_line_;
  if (p) {
    problem = std::move(*p);
    return Next::kInvalid;
  }
  return Next::kRecord;
}

}  // namespace flowsentry::flow
