#include "store/feedback.h"

#include <cmath>
#include <functional>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

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
  if (f.verdict.label == 1) return true;
  if (!(sample > 0)) return false;
  if (sample >= 1) return true;
  constexpr double kScale = 18446744073709551616.0;  // 2^64
  return static_cast<double>(key_hash(f.flow.key)) < sample * kScale;
}

std::string encode_features(const flow::FlowRecord& f) {
  nlohmann::json arr = nlohmann::json::array({f.proto, f.service, f.state});
  std::string out = arr.dump();
  out.pop_back();  // ']'
  for (double v : f.num) fmt::format_to(std::back_inserter(out), ",{}", v);
  return out + "]";
}

Result<flow::FlowRecord> decode_features(std::string_view text) {
  auto bad = [](const std::string& why) {
    return make_error(ErrorCode::kCorrupt, "stored features " + why, "features");
  };
  auto j = nlohmann::json::parse(text, nullptr, false);
  constexpr size_t kSize = 3 + flow::kNumFieldCount;
  if (!j.is_array() || j.size() != kSize) return bad("are not an array of 42 values");
  flow::FlowRecord f;
  for (size_t i = 0; i < 3; ++i) {
    if (!j[i].is_string()) return bad("do not start with proto, service and state");
  }
  f.proto = j[0].get<std::string>();
  f.service = j[1].get<std::string>();
  f.state = j[2].get<std::string>();
  for (size_t i = 0; i < flow::kNumFieldCount; ++i) {
    if (!j[3 + i].is_number()) return bad(fmt::format("have a non-number at {}", 3 + i));
    f.num[i] = j[3 + i].get<double>();
  }
  return f;
}

}  // namespace flowsentry::store
