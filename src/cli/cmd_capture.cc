#include <chrono>
#include <csignal>
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/flow_output.h"
#include "cli/signals.h"
#include "common/metrics.h"
#include "meter/meter.h"
#include "meter/probe.h"
#include "stream/pcap_reader.h"

namespace flowsentry::cli {
namespace {

struct CaptureOpts {
  std::vector<std::string> pcaps;
  std::string iface;
  std::string bpf;
  double duration = 0;
  std::string out = "-";
  std::string format = "csv";
  size_t max_flows = 1'000'000;
  int buffer_mb = 64;
  std::string brokers;  // with topic: flows go to Kafka instead of --out
  std::string topic;
  std::string config;  // kafka.* security settings for --brokers
  std::vector<std::string> set;
};

int run_capture(const CaptureOpts& o) {
  FlowOutputOptions out{o.out, o.format, o.brokers, o.topic, "flowsentry-capture", {}};
  if (!add_kafka_settings(out, o.config, o.set, "capture")) return kExitUsage;
  auto output = FlowOutput::open(out);
  if (!output.ok()) {
    std::cerr << "flowsentry capture: " << output.error().to_string() << "\n";
    return kExitRuntime;
  }
  meter::MeterSettings settings;
  settings.max_flows = o.max_flows;
  meter::Meter m(settings);
  std::vector<flow::FlowRecord> recs;
  Status write_status;
  uint64_t written = 0;
  bool ok = true;
  // Chunks of 4096: a backlog released at once (finish) is written without a second copy.
  auto drain_chunk = [&] {
    recs.clear();
    if (!ok || m.take(recs, 4096) == 0) return false;
    write_status = (*output)->write(recs);
    ok = write_status.ok();
    written += recs.size();
    return true;
  };
  auto drain = [&] {
    while (drain_chunk()) {
    }
  };
  std::vector<std::string> damaged;
  stream::PcapReader::Stats live_stats;
  bool live_stats_ok = false;
  if (!o.iface.empty()) {
    // Live: until SIGINT/SIGTERM (or --duration), records written as flows close.
    block_signals();
    auto reader = stream::PcapReader::open_live(o.iface, o.bpf, 262144, o.buffer_mb);
    if (!reader.ok()) {
      std::cerr << "flowsentry capture: " << reader.error().to_string() << "\n";
      return kExitRuntime;
    }
    stream::CaptureStatsProbe probe(o.iface);
    block_signals();  // again: opening the device can reset the thread's signal mask
    std::cerr << "flowsentry capture: capturing on " << o.iface << " (Ctrl-C to stop)\n";
    const auto start = std::chrono::steady_clock::now();
    meter::Packet p;
    uint64_t n = 0;
    while (ok) {
      auto r = reader.value()->read(p);
      if (r == stream::PcapReader::Read::kEnd) break;
      if (r == stream::PcapReader::Read::kPacket) {
        m.add(p);
        if ((++n & 1023) != 0) continue;
      } else {
        m.advance(std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
      }
      drain();
      if (reader.value()->stats(live_stats)) probe.publish(live_stats);
      if (wait_for_signal(std::chrono::milliseconds(0)) != 0) break;
      if (o.duration > 0 &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() >=
              o.duration) {
        break;
      }
    }
    live_stats_ok = reader.value()->stats(live_stats);
    if (live_stats_ok) probe.publish(live_stats);
  }
  for (const auto& path : o.pcaps) {
    auto reader = stream::PcapReader::open_file(path);
    if (!reader.ok()) {
      std::cerr << "flowsentry capture: " << reader.error().to_string() << "\n";
      return kExitRuntime;
    }
    meter::Packet p;
    uint64_t n = 0;
    while (ok && reader.value()->next(p)) {
      m.add(p);
      if ((++n & 4095) == 0) drain();
    }
    if (!reader.value()->error().empty()) {
      damaged.push_back(fmt::format("{}: {}", path, reader.value()->error()));
    }
    drain();
  }
  m.finish();
  drain();
  meter::publish_metrics({}, m.counters());
  if (auto st = ok ? (*output)->finish() : write_status; !st.ok()) {
    std::cerr << "flowsentry capture: " << st.error().to_string() << "\n";
    return kExitRuntime;
  }
  const auto& c = m.counters();
  std::cerr << fmt::format(
      "flowsentry capture: {} packets, {} flows, {} records {}, {} packets skipped, {} "
      "flows evicted (table limit {}, {} bytes per flow)\n",
      c.packets, c.flows, written, o.brokers.empty() ? "written" : "sent to " + o.topic,
      c.skipped_total(), c.evictions, o.max_flows, meter::Meter::bytes_per_flow());
  for (size_t i = 1; i < c.skipped.size(); ++i) {
    if (c.skipped[i]) {
      std::cerr << fmt::format("  skipped {}: {}\n",
                               meter::skip_reason_name(static_cast<meter::SkipReason>(i)),
                               c.skipped[i]);
    }
  }
  if (live_stats_ok) {
    std::cerr << fmt::format(
        "  libpcap: {} packets received, {} dropped by the kernel, {} dropped by the interface\n",
        live_stats.received, live_stats.dropped, live_stats.if_dropped);
  }
  for (const auto& d : damaged) {
    std::cerr << "  damaged capture (read stopped, packets before it kept): " << d << "\n";
  }
  return kExitOk;
}

}  // namespace

Command add_capture_command(CLI::App& root) {
  auto* app = root.add_subcommand(
      "capture", "Turn packet captures (pcap, pcapng) into UNSW-NB15 flows, one per line");
  auto opts = std::make_shared<CaptureOpts>();
  auto* pcap =
      app->add_option("--pcap", opts->pcaps, "Capture file (repeat for several, read in order)")
          ->check(CLI::ExistingFile);
  auto* iface = app->add_option("--iface", opts->iface,
                                "Capture live on this interface (needs root or CAP_NET_RAW)");
  pcap->excludes(iface);
  iface->excludes(pcap);
  app->add_option("--bpf", opts->bpf, "BPF filter for --iface (tcpdump syntax)")->needs(iface);
  app->add_option("--buffer-mb", opts->buffer_mb,
                  "With --iface: kernel capture buffer; a larger one rides out longer bursts")
      ->needs(iface)
      ->check(CLI::Range(1, 2048))
      ->capture_default_str();
  app->add_option("--duration", opts->duration, "With --iface: stop after this many seconds")
      ->needs(iface)
      ->check(CLI::NonNegativeNumber);
  app->callback([pcap, iface] {
    if (pcap->count() == 0 && iface->count() == 0) {
      throw CLI::RequiredError("--pcap or --iface");
    }
  });
  auto* out =
      app->add_option("--out", opts->out, "Output file, - for stdout")->capture_default_str();
  auto* brokers = app->add_option("--brokers", opts->brokers,
                                  "Send the flows to Kafka (bootstrap servers) instead of --out; "
                                  "one message per flow, keyed by srcip");
  auto* topic = app->add_option("--topic", opts->topic, "Kafka topic for --brokers");
  brokers->needs(topic)->excludes(out);
  topic->needs(brokers);
  app->add_option("--config", opts->config, "TOML settings file (kafka.* security for --brokers)")
      ->check(CLI::ExistingFile);
  app->add_option("--set", opts->set,
                  "Override a setting, KEY=VALUE (repeatable), e.g. kafka.security_protocol");
  app->add_option("--format", opts->format,
                  "csv (with a header) or json (one object per line); with --brokers the message "
                  "encoding, as produce: json keeps the addresses, csv is the training layout")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  app->add_option("--max-flows", opts->max_flows,
                  "Flow table limit; beyond it the oldest idle flow is closed early")
      ->check(CLI::Range(size_t{1}, size_t{1} << 32))
      ->capture_default_str();
  app->footer(
      "Columns: stime, ltime, srcip, sport, dstip, dsport, then the UNSW-NB15 training-set\n"
      "features dur ... is_sm_ips_ports, computed as Argus 3.0.8 does (argus -X -S 60 -J); see\n"
      "src/meter/README.md. The CSV is readable by check, score and demo --data. Packets that\n"
      "cannot be metered are counted by reason on stderr. --brokers B --topic T sends each flow\n"
      "to Kafka instead, keyed by its source address. A live capture (--iface) prints libpcap's\n"
      "received/dropped counts at the end and publishes them as\n"
      "flowsentry_capture_packets_{received,dropped_kernel,dropped_interface}_total{iface}.");
  return {app, [opts] { return run_capture(*opts); }};
}

}  // namespace flowsentry::cli
