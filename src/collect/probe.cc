#include "collect/probe.h"

#include "common/metrics.h"

namespace flowsentry::collect {
namespace {

void add(std::string_view name, std::string_view help, const Labels& labels, uint64_t now,
         uint64_t before) {
  auto& c = MetricsRegistry::global().counter(name, help, labels);
  if (now > before) c.inc(static_cast<double>(now - before));
}

}  // namespace

void CollectProbe::publish(const Collector& c) {
  const auto& d = c.decoder_counters();
  add("flowsentry_collect_datagrams_total", "Datagrams received from flow exporters", {},
      d.datagrams, last_.datagrams);
  constexpr std::array<std::string_view, 3> kVersions{"5", "9", "10"};
  for (size_t i = 0; i < kVersions.size(); ++i) {
    add("flowsentry_collect_records_total", "Flow records decoded, by NetFlow version (10: IPFIX)",
        {{"version", std::string(kVersions[i])}}, d.records[i], last_.records[i]);
  }
  for (size_t i = 0; i < d.errors.size(); ++i) {
    if (d.errors[i] == 0 && last_.errors[i] == 0) continue;
    add("flowsentry_collect_decode_errors_total", "Datagrams, sets or records refused, by reason",
        {{"reason", std::string(decode_error_name(static_cast<DecodeError>(i)))}}, d.errors[i],
        last_.errors[i]);
  }
  add("flowsentry_collect_lost_records_total",
      "Records the exporters numbered but never arrived (v5, IPFIX sequence gaps)", {},
      d.lost_records, last_.lost_records);
  add("flowsentry_collect_lost_datagrams_total",
      "Export packets numbered but never arrived (NetFlow v9 sequence gaps)", {}, d.lost_datagrams,
      last_.lost_datagrams);
  add("flowsentry_collect_options_records_total", "Options data records skipped", {},
      d.options_records, last_.options_records);
  const auto& p = c.pairing_counters();
  add("flowsentry_collect_flows_total", "Flows out of the collector, by how they were made",
      {{"kind", "paired"}}, p.paired, last_pairing_.paired);
  add("flowsentry_collect_flows_total", "Flows out of the collector, by how they were made",
      {{"kind", "one_way"}}, p.one_way, last_pairing_.one_way);
  add("flowsentry_collect_flows_total", "Flows out of the collector, by how they were made",
      {{"kind", "biflow"}}, p.biflows_in, last_pairing_.biflows_in);
  add("flowsentry_collect_flows_rejected_total",
      "Flows whose times or counts fail validation (not passed on)", {}, c.rejected(),
      last_rejected_);
  auto& reg = MetricsRegistry::global();
  reg.gauge("flowsentry_collect_templates_active", "Templates held, all exporters")
      .set(static_cast<double>(c.templates_active()));
  reg.gauge("flowsentry_collect_pending_sets", "Data sets waiting for their template")
      .set(static_cast<double>(c.pending_sets()));
  reg.gauge("flowsentry_collect_waiting_records", "One-way records waiting for their reverse")
      .set(static_cast<double>(c.waiting()));
  last_ = d;
  last_pairing_ = p;
  last_rejected_ = c.rejected();
}

}  // namespace flowsentry::collect
