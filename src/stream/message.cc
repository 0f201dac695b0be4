#include "stream/message.h"

#include <fmt/format.h>

namespace flowsentry::stream {

Result<MessageFormat> parse_message_format(std::string_view name) {
  if (name == "json") return MessageFormat::kJson;
  if (name == "csv") return MessageFormat::kCsv;
  return make_error(ErrorCode::kInvalidArgument,
                    fmt::format("unknown message format '{}': use json or csv", name));
}

const char* message_format_name(MessageFormat format) {
  return format == MessageFormat::kJson ? "json" : "csv";
}

std::optional<flow::FieldProblem> MessageDecoder::decode(std::string_view bytes,
                                                         flow::FlowRecord& out) {
  while (!bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r')) bytes.remove_suffix(1);
  if (bytes.empty()) {
    return flow::FieldProblem{"", "empty message",
                              format_ == MessageFormat::kJson ? "bad_json" : "bad_csv"};
  }
  out.service = flow::kNone;
  if (format_ == MessageFormat::kJson) return json_.decode_one(bytes, out);
  return flow::CsvSchema::canonical().decode(bytes, out, csv_scratch_);
}

namespace {

// The canonical column order of flow::CsvSchema::canonical(): id, dur, proto, service, state,
// spkts .. is_sm_ips_ports, attack_cat, label.
void append_csv(const flow::FlowRecord& rec, std::string& out) {
  fmt::memory_buffer buf;
  auto it = std::back_inserter(buf);
  if (rec.id) fmt::format_to(it, "{}", *rec.id);
  fmt::format_to(it, ",{},", rec.num[flow::kDur]);
  std::string cats;
  flow::append_csv_field(cats, rec.proto);
  cats += ',';
  flow::append_csv_field(cats, rec.service);
  cats += ',';
  flow::append_csv_field(cats, rec.state);
  buf.append(std::string_view(cats));
  for (size_t f = flow::kSpkts; f < flow::kNumFieldCount; ++f) {
    fmt::format_to(it, ",{}", rec.num[f]);
  }
  buf.push_back(',');
  if (rec.attack_cat) buf.append(std::string_view(*rec.attack_cat));
  buf.push_back(',');
  if (rec.label) fmt::format_to(it, "{}", *rec.label);
  out.append(buf.data(), buf.size());
}

}  // namespace

void append_message(const flow::FlowRecord& rec, MessageFormat format, std::string& out) {
  if (format == MessageFormat::kJson) {
    flow::append_json(rec, out);
  } else {
    append_csv(rec, out);
  }
}

std::string encode_message(const flow::FlowRecord& rec, MessageFormat format) {
  std::string s;
  s.reserve(format == MessageFormat::kJson ? 900 : 300);
  append_message(rec, format, s);
  return s;
}

std::string make_malformed(const flow::FlowRecord& rec, MessageFormat format, uint64_t variant) {
  flow::FlowRecord bad = rec;
  switch (variant % 4) {
    case 0: {  // truncated in the middle, as a broken producer might send
      std::string s = encode_message(rec, format);
      s.resize(s.size() / 2);
      if (format == MessageFormat::kCsv) s += ",\"unterminated";
      return s;
    }
    case 1:  // a count that cannot be negative
      bad.num[flow::kSbytes] = -1 - static_cast<double>(variant % 1000);
      return encode_message(bad, format);
    case 2: {  // a number field holding text
      std::string s = encode_message(rec, format);
      std::string needle = format == MessageFormat::kJson ? "\"spkts\":" : "";
      if (format == MessageFormat::kJson) {
        auto pos = s.find(needle);
        auto end = s.find(',', pos);
        return s.substr(0, pos + needle.size()) + "\"many\"" + s.substr(end);
      }
      // CSV: spkts is the sixth column.
      size_t pos = 0;
      for (int i = 0; i < 5; ++i) pos = s.find(',', pos) + 1;
      auto end = s.find(',', pos);
      return s.substr(0, pos) + "many" + s.substr(end);
    }
    default:  // JSON: not an object at all; CSV: a column missing
      if (format == MessageFormat::kJson) return "[\"not\", \"a\", \"flow\"]";
      {
        std::string s = encode_message(rec, format);
        return s.substr(0, s.rfind(','));
      }
  }
}

std::string format_origin(const flow::RecordKey& key) {
  return fmt::format("{}/{}/{}", key.source, key.partition, key.offset);
}

}  // namespace flowsentry::stream
