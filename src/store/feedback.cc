#include "store/feedback.h"

#include <algorithm>
#include <bit>

namespace flowsentry::store {

const char* feedback_label_name(FeedbackLabel label) {
  switch (label) {
    case FeedbackLabel::kTruePositive:
      return "true_positive";
    case FeedbackLabel::kFalsePositive:
      return "false_positive";
    case FeedbackLabel::kBenignExpected:
      return "benign_expected";
  }
  return "false_positive";
}

std::optional<FeedbackLabel> parse_feedback_label(std::string_view text) {
  for (auto l : {FeedbackLabel::kTruePositive, FeedbackLabel::kFalsePositive,
                 FeedbackLabel::kBenignExpected}) {
    if (text == feedback_label_name(l)) return l;
  }
  return std::nullopt;
}

namespace {

// splitmix64: a well-mixed hash of the key, the same on every run and machine.
uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t key_hash(const flow::RecordKey& k) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a over the source
  for (unsigned char c : k.source) h = (h ^ c) * 1099511628211ULL;
  return mix(h ^ mix(static_cast<uint64_t>(k.partition) ^ mix(static_cast<uint64_t>(k.offset))));
}

}  // namespace

bool keeps_features(const model::ScoredFlow& f, double sample) {
  if (sample < 0) return false;
  if (f.verdict.label == 1) return true;
  if (!(sample > 0)) return false;
  if (sample >= 1) return true;
  constexpr double kScale = 18446744073709551616.0;  // 2^64
  return static_cast<double>(key_hash(f.flow.key)) < sample * kScale;
}

namespace {

constexpr char kFeaturesVersion = 1;

void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t get_u64(std::string_view in, size_t at) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  return v;
}

// PostgreSQL answers bytea as text: "\x" and two hex digits a byte.
std::optional<std::string> from_hex(std::string_view text) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  if (text.size() % 2 != 0) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int hi = digit(text[i]), lo = digit(text[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

}  // namespace

// Binary, not text: formatting 39 doubles as text cost more than the rest of a row's insert.
std::string encode_features(const flow::FlowRecord& f) {
  std::string out(1, kFeaturesVersion);
  out.reserve(1 + 3 * 2 + 24 + 8 * flow::kNumFieldCount);
  for (const std::string* s : {&f.proto, &f.service, &f.state}) {
    const size_t n = std::min<size_t>(s->size(), 0xffff);
    out += static_cast<char>(n & 0xff);
    out += static_cast<char>(n >> 8);
    out.append(*s, 0, n);
  }
  for (double v : f.num) put_u64(out, std::bit_cast<uint64_t>(v));
  return out;
}

Result<flow::FlowRecord> decode_features(std::string_view stored) {
  auto bad = [](const std::string& why) {
    return make_error(ErrorCode::kCorrupt, "stored features " + why, "features");
  };
  std::optional<std::string> hex;
  if (stored.starts_with("\\x")) {
    hex = from_hex(stored.substr(2));
    if (!hex) return bad("are not hex");
    stored = *hex;
  }
  if (stored.empty() || stored[0] != kFeaturesVersion) return bad("have an unknown version");
  size_t at = 1;
  flow::FlowRecord f;
  for (std::string* s : {&f.proto, &f.service, &f.state}) {
    if (at + 2 > stored.size()) return bad("end inside the categories");
    const size_t n = static_cast<unsigned char>(stored[at]) |
                     (size_t{static_cast<unsigned char>(stored[at + 1])} << 8);
    at += 2;
    if (at + n > stored.size()) return bad("end inside the categories");
    s->assign(stored.substr(at, n));
    at += n;
  }
  if (stored.size() - at != 8 * flow::kNumFieldCount) return bad("have the wrong length");
  for (size_t i = 0; i < flow::kNumFieldCount; ++i) {
    f.num[i] = std::bit_cast<double>(get_u64(stored, at + 8 * i));
  }
  return f;
}

std::vector<flow::FlowRecord> feedback_training_rows(const std::vector<FeedbackFlow>& flows) {
  std::vector<flow::FlowRecord> rows;
  rows.reserve(flows.size());
  for (const auto& ff : flows) {
    auto f = ff.flow;
    f.label = ff.label01();
    if (ff.attack_cat) {
      f.attack_cat = *ff.attack_cat;
    } else if (f.label == 0) {
      f.attack_cat = "Normal";
    } else {
      const bool known = !ff.model_attack_cat.empty() && ff.model_attack_cat != "Normal";
      f.attack_cat = known ? ff.model_attack_cat : "Generic";
    }
    rows.push_back(std::move(f));
  }
  return rows;
}

}  // namespace flowsentry::store
