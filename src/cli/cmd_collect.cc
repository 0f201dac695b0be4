// flowsentry collect: a NetFlow v5 / v9 / IPFIX collector on one UDP port, writing flows as
// capture does (CSV, JSON lines, or Kafka keyed by srcip). The work is in src/collect.
#include <chrono>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/flow_output.h"
#include "cli/signals.h"
#include "collect/collector.h"
#include "collect/probe.h"
#include "collect/udp_receiver.h"

namespace flowsentry::cli {
namespace {

struct CollectOpts {
  std::string listen = "0.0.0.0:4739";
  FlowOutputOptions output;
  int link_bytes = 14;
  double biflow_window_s = 5;
  double duration = 0;
  double progress_s = 10;
  int buffer_mb = 32;
  size_t max_templates = 1024;
  size_t max_pending_sets = 1024;
  std::string config;  // kafka.* security settings for --brokers
  std::vector<std::string> set;
};

int64_t steady_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string progress(const collect::Collector& c, uint64_t written) {
  const auto& d = c.decoder_counters();
  return fmt::format(
      "{} datagrams, records v5 {} v9 {} ipfix {}, {} flows out ({} paired), {} decode errors, "
      "{} records lost (sequence gaps), {} templates",
      d.datagrams, d.records[0], d.records[1], d.records[2], written, c.pairing_counters().paired,
      d.error_total(), d.lost_records, c.templates_active());
}

void print_summary(const collect::Collector& c, uint64_t written) {
  const auto& d = c.decoder_counters();
  std::cerr << "flowsentry collect: " << progress(c, written) << "\n";
  for (size_t i = 0; i < d.errors.size(); ++i) {
    if (d.errors[i] == 0) continue;
    std::cerr << fmt::format("  decode errors {}: {}\n",
                             collect::decode_error_name(static_cast<collect::DecodeError>(i)),
                             d.errors[i]);
  }
  if (d.lost_datagrams)
    std::cerr << "  NetFlow v9 export packets lost: " << d.lost_datagrams << "\n";
  if (d.options_records) std::cerr << "  options records skipped: " << d.options_records << "\n";
  if (c.rejected()) std::cerr << "  flows refused by validation: " << c.rejected() << "\n";
}

int run_collect(const CollectOpts& o) {
  auto fail = [](const Error& e) {
    std::cerr << "flowsentry collect: " << e.to_string() << "\n";
    return kExitRuntime;
  };
  auto endpoint = collect::parse_endpoint(o.listen);
  if (!endpoint.ok()) {
    std::cerr << "flowsentry collect: --listen: " << endpoint.error().to_string() << "\n";
    return kExitUsage;
  }
  block_signals();
  auto receiver = collect::UdpReceiver::bind(*endpoint, o.buffer_mb);
  if (!receiver.ok()) return fail(receiver.error());
  FlowOutputOptions out = o.output;
  if (!add_kafka_settings(out, o.config, o.set, "collect")) return kExitUsage;
  auto output = FlowOutput::open(out);
  if (!output.ok()) return fail(output.error());
  collect::CollectorSettings settings;
  settings.mapping.link_layer_bytes = o.link_bytes;
  settings.pairing.window_us = static_cast<int64_t>(o.biflow_window_s * 1e6);
  settings.limits.max_templates = o.max_templates;
  settings.limits.max_pending_sets = o.max_pending_sets;
  collect::Collector collector(settings);
  collect::CollectProbe probe;
  std::cerr << fmt::format(
      "flowsentry collect: listening on {}:{} for IPFIX and NetFlow v5/v9 (receive buffer {} "
      "KB; Ctrl-C to stop)\n",
      endpoint->host, (*receiver)->port(), (*receiver)->buffer_bytes() / 1024);

  std::vector<flow::FlowRecord> flows;
  std::vector<flow::FieldProblem> rejected;
  uint64_t written = 0;
  auto drain = [&]() -> Status {
    flows.clear();
    rejected.clear();
    collector.take(flows, rejected);
    written += flows.size();
    return flows.empty() ? Status{} : (*output)->write(flows);
  };
  const auto start = std::chrono::steady_clock::now();
  auto next_progress = start + std::chrono::duration<double>(o.progress_s);
  Status st;
  while (st.ok() && wait_for_signal(std::chrono::milliseconds(0)) == 0) {
    (*receiver)->receive(std::chrono::milliseconds(100),
                         [&](const auto& exporter, auto bytes, uint16_t port) {
                           collector.add(exporter, bytes, steady_us(), port);
                         });
    collector.advance(steady_us());
    st = drain();
    const auto now = std::chrono::steady_clock::now();
    if (o.progress_s > 0 && now >= next_progress) {
      probe.publish(collector);
      std::cerr << "flowsentry collect: " << progress(collector, written) << "\n";
      next_progress = now + std::chrono::duration<double>(o.progress_s);
    }
    if (o.duration > 0 && std::chrono::duration<double>(now - start).count() >= o.duration) break;
  }
  // Datagrams already queued in the socket are still decoded before the end.
  while (st.ok() && (*receiver)->receive(std::chrono::milliseconds(0),
                                         [&](const auto& e, auto b, uint16_t port) {
                                           collector.add(e, b, steady_us(), port);
                                         }) > 0) {
  }
  collector.finish();
  if (st.ok()) st = drain();
  if (st.ok()) st = (*output)->finish();
  probe.publish(collector);
  print_summary(collector, written);
  if (!st.ok()) return fail(st.error());
  return kExitOk;
}

}  // namespace

Command add_collect_command(CLI::App& root) {
  auto* app = root.add_subcommand(
      "collect", "Receive IPFIX and NetFlow v5/v9 from routers and write them as flows");
  auto o = std::make_shared<CollectOpts>();
  app->add_option("--listen", o->listen, "UDP HOST:PORT to listen on ([::]:PORT for IPv6)")
      ->capture_default_str();
  auto* out =
      app->add_option("--out", o->output.out, "Output file, - for stdout")->capture_default_str();
  auto* brokers = app->add_option("--brokers", o->output.brokers,
                                  "Send the flows to Kafka (bootstrap servers) instead of --out; "
                                  "one message per flow, keyed by srcip");
  auto* topic = app->add_option("--topic", o->output.topic, "Kafka topic for --brokers");
  brokers->needs(topic)->excludes(out);
  topic->needs(brokers);
  app->add_option("--format", o->output.format,
                  "csv (with a header) or json (one object per line); with --brokers the "
                  "message encoding")
      ->check(CLI::IsMember({"csv", "json"}))
      ->capture_default_str();
  app->add_option("--link-bytes", o->link_bytes,
                  "Link-layer header bytes added per packet: exporters count IP bytes, the "
                  "model was trained on wire bytes (14 = Ethernet, 18 = 802.1Q, 0 = none)")
      ->check(CLI::Range(0, 1000))
      ->capture_default_str();
  app->add_option("--biflow-window", o->biflow_window_s,
                  "Seconds a one-way record waits for its reverse to be paired into one "
                  "biflow; 0 writes one-way records as exported")
      ->check(CLI::Range(0.0, 3600.0))
      ->capture_default_str();
  app->add_option("--duration", o->duration, "Stop after this many seconds (0 = until Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  app->add_option("--progress", o->progress_s, "Seconds between progress lines (0 = none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--buffer-mb", o->buffer_mb, "Socket receive buffer; rides out bursts")
      ->check(CLI::Range(1, 2048))
      ->capture_default_str();
  app->add_option("--max-templates", o->max_templates,
                  "Templates kept per exporter and observation domain")
      ->check(CLI::Range(size_t{1}, size_t{65536}))
      ->capture_default_str();
  app->add_option("--config", o->config, "TOML settings file (kafka.* security for --brokers)")
      ->check(CLI::ExistingFile);
  app->add_option("--set", o->set,
                  "Override a setting, KEY=VALUE (repeatable; kafka.* for --brokers)");
  app->add_option("--max-pending", o->max_pending_sets,
                  "Data sets kept while their template has not arrived (then dropped, counted)")
      ->check(CLI::Range(size_t{0}, size_t{1} << 20))
      ->capture_default_str();
  o->output.client_id = "flowsentry-collect";
  app->footer(
      "Columns as capture writes them: stime, ltime, srcip, sport, dstip, dsport, then the\n"
      "UNSW-NB15 features; the `netflow` profile's fields are filled (see src/collect/README.md\n"
      "for the mapping and units), the rest are 0. One port takes NetFlow v5, v9 and IPFIX.\n"
      "Decode errors are counted by reason on stderr and in /metrics (flowsentry_collect_*).\n"
      "To score the flows: --brokers B --topic T, then `flowsentry run` on that topic, or\n"
      "`flowsentry demo --data ipfix://0.0.0.0:4739` in one process.");
  return {app, [o] { return run_collect(*o); }};
}

}  // namespace flowsentry::cli
