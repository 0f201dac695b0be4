#include "store/store.h"

#include <array>
#include <cmath>

#include <fmt/format.h>

#include "flow/address.h"
#include "store/postgres_store.h"
#include "store/sqlite_store.h"
#include "store/write_batch.h"

namespace flowsentry::store {

std::string explanation_json(const model::Verdict& v) {
  std::string out = fmt::format("{{\"attack_cat_prob\":{},\"top_features\":[", v.attack_cat_prob);
  for (size_t i = 0; i < v.top_features.size(); ++i) {
    const auto& c = v.top_features[i];
    // Feature names are identifiers from the model's feature table: no escaping needed.
    fmt::format_to(std::back_inserter(out),
                   "{}{{\"feature\":\"{}\",\"value\":{},\"contribution\":{}}}", i ? "," : "",
                   c.feature, c.value, c.contribution);
  }
  out += "]}";
  return out;
}

namespace {
// The codecs validate these already; a flow built in code must not put text that is not an
// address into an inet column (PostgreSQL would fail the whole COPY) or a blob.
Status check_identity(const flow::FlowRecord& f) {
  for (const auto* ip : {&f.srcip, &f.dstip}) {
    if (*ip && !flow::parse_address(**ip)) {
      return make_error(ErrorCode::kValidation,
                        fmt::format("{} '{}' is not an IPv4 or IPv6 address",
                                    ip == &f.srcip ? "srcip" : "dstip", ip->value().substr(0, 40)),
                        "");
    }
  }
  for (const auto* port : {&f.sport, &f.dsport}) {
    if (*port && (**port < 0 || **port > 65535)) {
      return make_error(ErrorCode::kValidation,
                        fmt::format("{} {} is not a port (0-65535)",
                                    port == &f.sport ? "sport" : "dsport", **port),
                        "");
    }
  }
  if (f.ltime && !std::isfinite(*f.ltime)) {
    return make_error(ErrorCode::kValidation, "ltime is not finite", "");
  }
  return {};
}
}  // namespace

Status check_batch(std::span<const model::ScoredFlow> batch) {
  for (const auto& sf : batch) {
    const auto& k = sf.flow.key;
    auto where = [&] { return fmt::format("record {}/{}/{}", k.source, k.partition, k.offset); };
    if (!sf.flow.stime) {
      return make_error(ErrorCode::kInvalidArgument,
                        "flow has no stime; the pipeline must stamp stime before storing so a "
                        "replay stores the same key",
                        where());
    }
    // Year 10000 and beyond have no day partition name and overflow day arithmetic.
    if (!std::isfinite(*sf.flow.stime) || *sf.flow.stime < 0 || *sf.flow.stime >= kMaxStoredTime) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("stime {} is not a time (seconds since 1970)", *sf.flow.stime),
                        where());
    }
    if (auto st = check_identity(sf.flow); !st.ok()) {
      return make_error(st.error().code, st.error().message, where());
    }
    if (sf.verdict.label != 0 && sf.verdict.label != 1) {
      return make_error(ErrorCode::kInvalidArgument,
                        fmt::format("verdict label {} is not 0 or 1", sf.verdict.label), where());
    }
  }
  return {};
}

std::vector<std::string> filter_values(std::string_view list) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at <= list.size()) {
    size_t comma = list.find(',', at);
    if (comma == std::string_view::npos) comma = list.size();
    auto v = list.substr(at, comma - at);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    if (!v.empty()) out.emplace_back(v);
    at = comma + 1;
  }
  return out;
}

bool filter_matches(std::string_view list, std::string_view value) {
  if (list.empty()) return true;
  for (const auto& v : filter_values(list)) {
    if (v == value) return true;
  }
  return false;
}

int64_t day_start(double t) {
  return static_cast<int64_t>(std::floor(t / kSecondsPerDay)) * kSecondsPerDay;
}

int64_t retention_cutoff(double now, int retention_days) {
  return day_start(now) - static_cast<int64_t>(retention_days) * kSecondsPerDay;
}

int64_t bucket_seconds_for(double window_seconds) {
  static constexpr std::array<int64_t, 10> kSizes{10,   30,   60,    300,   900,
                                                  1800, 3600, 10800, 21600, 86400};
  for (int64_t s : kSizes) {
    if (window_seconds / static_cast<double>(s) <= 360) return s;
  }
  return kSizes.back();
}

namespace {
Error no_feedback() {
  return make_error(ErrorCode::kInvalidArgument, "this store keeps no feedback", "store");
}
}  // namespace

Result<Feedback> Store::add_feedback(const Feedback&) {
  return no_feedback();
}
Result<FeedbackPage> Store::list_feedback(const FeedbackFilter&, std::optional<int64_t>, int) {
  return no_feedback();
}
Status Store::delete_feedback(int64_t) {
  return no_feedback();
}
Result<Suppression> Store::add_suppression(const Suppression&) {
  return no_feedback();
}
Result<std::vector<Suppression>> Store::list_suppressions(double, int) {
  return no_feedback();
}
Status Store::delete_suppression(int64_t) {
  return no_feedback();
}
Result<std::vector<FeedbackFlow>> Store::feedback_flows(double, int) {
  return no_feedback();
}

Result<std::unique_ptr<Store>> open_store(const StoreOptions& options) {
  std::string_view url = options.url;
  if (url.starts_with("postgresql://") || url.starts_with("postgres://")) {
    auto s = PostgresStore::open(options);
    if (!s.ok()) return s.error();
    return std::unique_ptr<Store>(std::move(*s));
  }
  std::string path(url.starts_with("sqlite:") ? url.substr(7) : url);
  if (path.starts_with("//")) path = path.substr(2);  // sqlite:///abs/path
  if (path.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "empty store URL: give a SQLite file path, sqlite:PATH or postgresql://...",
                      "store.url");
  }
  auto s = SqliteStore::open(options, path);
  if (!s.ok()) return s.error();
  return std::unique_ptr<Store>(std::move(*s));
}

Result<std::unique_ptr<Store>> open_store(std::string_view url) {
  StoreOptions o;
  o.url = std::string(url);
  return open_store(o);
}

}  // namespace flowsentry::store
