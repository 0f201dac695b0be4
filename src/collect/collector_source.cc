#include "collect/collector_source.h"

#include <charconv>

#include "common/clock.h"

namespace flowsentry::collect {
namespace {

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Status parse_option(std::string_view kv, CollectorSettings& s, std::string_view url) {
  auto eq = kv.find('=');
  auto key = kv.substr(0, eq);
  auto text = eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1);
  double v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v < 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      "option '" + std::string(kv) + "' needs a non-negative number",
                      std::string(url));
  }
  if (key == "link_bytes" && v <= 1000) {
    s.mapping.link_layer_bytes = static_cast<int>(v);
  } else if (key == "biflow_window_s" && v <= 3600) {
    s.pairing.window_us = static_cast<int64_t>(v * 1e6);
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "unknown option or out of range: '" + std::string(kv) +
                          "' (link_bytes 0..1000, biflow_window_s 0..3600)",
                      std::string(url));
  }
  return {};
}

}  // namespace

Result<std::pair<Endpoint, CollectorSettings>> parse_ipfix_url(std::string_view url) {
  if (!url.starts_with(kIpfixScheme)) {
    return make_error(ErrorCode::kInvalidArgument, "expected ipfix://HOST:PORT", std::string(url));
  }
  auto rest = url.substr(kIpfixScheme.size());
  auto q = rest.find('?');
  auto endpoint = parse_endpoint(rest.substr(0, q));
  if (!endpoint.ok()) return endpoint.error();
  CollectorSettings settings;
  if (q != std::string_view::npos) {
    auto opts = rest.substr(q + 1);
    while (!opts.empty()) {
      auto amp = opts.find('&');
      if (auto st = parse_option(opts.substr(0, amp), settings, url); !st.ok()) return st.error();
      opts = amp == std::string_view::npos ? std::string_view{} : opts.substr(amp + 1);
    }
  }
  return std::make_pair(*endpoint, settings);
}

Result<std::unique_ptr<CollectorSource>> CollectorSource::open(std::string_view url) {
  auto parsed = parse_ipfix_url(url);
  if (!parsed.ok()) return parsed.error();
  auto receiver = UdpReceiver::bind(parsed->first);
  if (!receiver.ok()) return receiver.error();
  auto name = std::string(kIpfixScheme) + parsed->first.host + ":" +
              std::to_string(receiver.value()->port());
  return std::unique_ptr<CollectorSource>(
      new CollectorSource(std::move(*receiver), parsed->second, std::move(name)));
}

CollectorSource::CollectorSource(std::unique_ptr<UdpReceiver> receiver, CollectorSettings settings,
                                 std::string name)
    : receiver_(std::move(receiver)),
      collector_(settings),
      name_(std::move(name)),
      run_(static_cast<int64_t>(wall_seconds())),
      next_publish_(std::chrono::steady_clock::now()) {}

const flow::Profile& CollectorSource::profile() const {
  return *flow::profile_by_name("netflow");
}

void CollectorSource::receive(std::chrono::milliseconds wait) {
  receiver_->receive(wait, [this](const auto& exporter, auto datagram, uint16_t port) {
    collector_.add(exporter, datagram, steady_us(), port);
  });
  collector_.advance(steady_us());
  taken_.clear();
  problems_.clear();
  collector_.take(taken_, problems_);
  for (auto& f : taken_) ready_.push_back(std::move(f));
  for (auto& p : problems_) {
    stream::Rejected r;
    r.key = {name_, run_, ++seq_};
    r.problem = std::move(p);
    rejected_.push_back(std::move(r));
  }
  if (std::chrono::steady_clock::now() >= next_publish_) {
    probe_.publish(collector_);
    next_publish_ = std::chrono::steady_clock::now() + std::chrono::seconds(1);
  }
}

Result<size_t> CollectorSource::next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                                           std::chrono::milliseconds wait) {
  if (ready_.empty()) receive(wait);
  size_t n = 0;
  while (n < max && !ready_.empty()) {
    auto& f = ready_.front();
    f.key = {name_, run_, ++seq_};
    out.push_back(std::move(f));
    ready_.pop_front();
    ++n;
  }
  return n;
}

void CollectorSource::take_rejected(std::vector<stream::Rejected>& out) {
  for (auto& r : rejected_) out.push_back(std::move(r));
  rejected_.clear();
}

}  // namespace flowsentry::collect
