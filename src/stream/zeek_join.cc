#include "stream/zeek_join.h"

#include <algorithm>

#include "common/metrics.h"

namespace flowsentry::stream {
namespace {

enum HttpField : uint8_t { kHttpTs, kHttpUid, kTransDepth, kMethod, kBodyLen };
enum FtpField : uint8_t { kFtpTs, kFtpUid, kUser, kCommand };

// Side-log rows that never reach a flow, by reason, in /metrics.
Counter& dropped(const char* reason) {
  return MetricsRegistry::global().counter(
      "flowsentry_zeek_join_dropped_total",
      "http.log/ftp.log rows not joined: unreadable, or evicted from the full join table",
      {{"reason", reason}});
}

constexpr int64_t kMaxBodyLen = 1'000'000'000'000'000;  // response_body_len's flow bound

}  // namespace

AppLogJoin::AppLogJoin(std::unique_ptr<LineInput> http, std::unique_ptr<LineInput> ftp,
                       size_t max_entries)
    : max_entries_(std::max<size_t>(max_entries, 1)) {
  if (http) {
    sides_.push_back(Side{
        std::move(http),
        flow::ZeekLogParser({"ts", "uid", "trans_depth", "method", "response_body_len"}, 2), true});
  }
  if (ftp) {
    sides_.push_back(
        Side{std::move(ftp), flow::ZeekLogParser({"ts", "uid", "user", "command"}, 2), false});
  }
}

AppCounts AppLogJoin::take(const std::string& uid, double until) {
  for (auto& side : sides_) advance(side, until);
  auto it = by_uid_.find(uid);
  if (it == by_uid_.end()) return {};
  AppCounts c = it->second;
  by_uid_.erase(it);
  return c;
}

void AppLogJoin::advance(Side& side, double until) {
  while (true) {
    if (side.pending) {
      if (side.pending_ts > until) return;
      add(side.pending_uid, side.pending_delta);
      side.pending = false;
    }
    if (side.done || !read_row(side)) return;
  }
}

// Reads the next data row of a side log into side.pending; false when there is none now.
bool AppLogJoin::read_row(Side& side) {
  flow::FieldProblem problem;
  while (true) {
    auto got = side.in->next(line_);
    if (got == LineInput::Got::kEnd) side.done = true;
    if (got == LineInput::Got::kEnd || got == LineInput::Got::kWait) return false;
    if (got == LineInput::Got::kTooLong) {
      ++counters_.rejected;
      dropped("unreadable").inc();
      continue;
    }
    auto kind = side.parser.parse(line_, values_, problem);
    if (kind == flow::ZeekLogParser::Line::kHeader) continue;
    const auto ts = kind == flow::ZeekLogParser::Line::kRow && values_[kHttpTs].is_set()
                        ? flow::parse_zeek_time(values_[kHttpTs].text)
                        : std::nullopt;
    if (!ts || !values_[kHttpUid].is_set()) {
      ++counters_.rejected;
      dropped("unreadable").inc();
      continue;
    }
    AppCounts d;
    if (side.http) {
      auto count = [this](size_t f) {
        return values_[f].is_set() ? flow::parse_zeek_count(values_[f].text) : std::nullopt;
      };
      auto depth = count(kTransDepth);
      auto body = count(kBodyLen);
      // Bounded like the flow fields (trans_depth ≤ 1e6, body ≤ 1e15): a hostile row cannot
      // overflow the sums.
      d.trans_depth = static_cast<int>(std::min<uint64_t>(depth.value_or(0), 1'000'000));
      d.response_body_len = static_cast<int64_t>(std::min<uint64_t>(body.value_or(0), kMaxBodyLen));
      d.http_methods = values_[kMethod].is_set() ? 1 : 0;
    } else {
      d.ftp_login = values_[kUser].is_set() && values_[kUser].text != "<unknown>" ? 1 : 0;
      d.ftp_commands = values_[kCommand].is_set() ? 1 : 0;
    }
    side.pending = true;
    side.pending_ts = *ts;
    side.pending_uid = values_[kHttpUid].text;
    side.pending_delta = d;
    return true;
  }
}

void AppLogJoin::add(const std::string& uid, const AppCounts& d) {
  ++counters_.rows;
  auto [it, fresh] = by_uid_.try_emplace(uid);
  AppCounts& c = it->second;
  c.trans_depth = std::max(c.trans_depth, d.trans_depth);
  c.response_body_len =
      std::min<int64_t>(c.response_body_len + d.response_body_len, 1'000'000'000'000'000);
  c.http_methods = std::min(c.http_methods + d.http_methods, 1'000'000);
  c.ftp_login = std::max(c.ftp_login, d.ftp_login);
  c.ftp_commands = std::min(c.ftp_commands + d.ftp_commands, 1'000'000);
  if (!fresh) return;
  order_.push_back(uid);
  while (by_uid_.size() > max_entries_ && !order_.empty()) {
    if (by_uid_.erase(order_.front()) > 0) {
      ++counters_.evicted;
      dropped("evicted").inc();
    }
    order_.pop_front();
  }
  if (order_.size() > 2 * max_entries_) {
    // Drop the uids already taken, so the order list stays as bounded as the table.
    std::erase_if(order_, [this](const std::string& u) { return !by_uid_.contains(u); });
  }
}

}  // namespace flowsentry::stream
