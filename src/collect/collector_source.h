// CollectorSource: `--data ipfix://HOST:PORT` — a never-ending Source of the flows routers
// export (IPFIX, NetFlow v5/v9 on one port). It fills the `netflow` profile. Settings ride
// on the address: `ipfix://0.0.0.0:4739?link_bytes=14&biflow_window_s=5`. Keys are
// ("ipfix://HOST:PORT", start second, n), so a restarted collector never repeats a key.
#pragma once

#include <chrono>
#include <deque>
#include <memory>
#include <string>

#include "collect/collector.h"
#include "collect/probe.h"
#include "collect/udp_receiver.h"
#include "stream/source.h"

namespace flowsentry::collect {

inline constexpr std::string_view kIpfixScheme = "ipfix://";

// Parses "ipfix://HOST:PORT[?link_bytes=N&biflow_window_s=S]".
Result<std::pair<Endpoint, CollectorSettings>> parse_ipfix_url(std::string_view url);

class CollectorSource final : public stream::Source {
 public:
  static Result<std::unique_ptr<CollectorSource>> open(std::string_view url);

  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds wait) override;
  bool at_end() const override { return false; }
  void take_rejected(std::vector<stream::Rejected>& out) override;
  std::string describe() const override { return "collector " + name_; }
  const flow::Profile& profile() const override;

  uint16_t port() const { return receiver_->port(); }

 private:
  CollectorSource(std::unique_ptr<UdpReceiver> receiver, CollectorSettings settings,
                  std::string name);
  void receive(std::chrono::milliseconds wait);

  std::unique_ptr<UdpReceiver> receiver_;
  Collector collector_;
  CollectProbe probe_;
  std::string name_;
  std::vector<flow::FlowRecord> taken_;
  std::vector<flow::FieldProblem> problems_;
  std::deque<flow::FlowRecord> ready_;
  std::vector<stream::Rejected> rejected_;
  int64_t run_ = 0;
  int64_t seq_ = 0;
  std::chrono::steady_clock::time_point next_publish_;
};

}  // namespace flowsentry::collect
