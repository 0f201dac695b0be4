#include "common/settings.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace flowsentry {
namespace {

using T = SettingType;

// Keep sections together; `config --defaults` prints them in this order.
constexpr std::array kSettings{
    // section, key, type, default, min, max, doc, choices, secret
    SettingSpec{"log", "level", T::kString, "info", 0, -1, "Log level on stderr (--log-level wins)",
                "trace|debug|info|warn|error|off"},
    SettingSpec{"log", "format", T::kString, "text", 0, -1,
                "Log lines on stderr: text, or json (one object per line: ts, level, module, "
                "msg and structured fields; --log-format wins)",
                "text|json"},

    SettingSpec{"model", "path", T::kString, "models/default", 0, -1,
                "Model artifact directory (made by `flowsentry train`); used while the registry "
                "has no active version"},
    SettingSpec{"model", "registry", T::kString, "models/registry", 0, -1,
                "Model registry folder (`flowsentry models`); its active version wins over "
                "model.path, and a promotion is picked up without a restart; empty = none"},
    SettingSpec{"model", "reload_interval_s", T::kDouble, "5", 0, 3600,
                "Seconds between checks of the registry's active and shadow versions (0 = "
                "only on SIGHUP)"},

    SettingSpec{"store", "url", T::kString, "flowsentry.db", 0, -1,
                "Where verdicts go: a SQLite file path, sqlite:PATH, or postgresql://..."},
    SettingSpec{"store", "retention_days", T::kInt, "7", 1, 3650,
                "Days of scored flows kept before old partitions/rows are dropped"},
    SettingSpec{"store", "pool_max", T::kInt, "8", 1, 64,
                "Most database connections held open (PostgreSQL)"},
    SettingSpec{"store", "feature_sample", T::kDouble, "0.01", 0, 1,
                "Share of normal flows whose every feature is stored for retraining with "
                "feedback (anomalies always are)"},
    SettingSpec{"store", "keep_features", T::kBool, "true", 0, -1,
                "Store every feature of anomalies and sampled flows, for retraining with "
                "feedback (flowsentry train --feedback)"},

    SettingSpec{"kafka", "brokers", T::kString, "127.0.0.1:9092", 0, -1,
                "Kafka bootstrap servers, comma separated"},
    SettingSpec{"kafka", "topic", T::kString, "flows", 0, -1, "Topic the flows arrive on"},
    SettingSpec{"kafka", "group", T::kString, "flowsentry", 0, -1, "Consumer group id"},
    SettingSpec{"kafka", "format", T::kString, "json", 0, -1, "Encoding of the flow messages",
                "json|csv"},
    SettingSpec{"kafka", "dlq_topic", T::kString, "flows.dlq", 0, -1,
                "Dead-letter topic for malformed messages"},
    SettingSpec{"kafka", "anomalies_topic", T::kString, "anomalies", 0, -1,
                "Topic scored anomalies are published to"},
    SettingSpec{"kafka", "summaries_topic", T::kString, "flow_summaries", 0, -1,
                "Topic workers (role worker) publish flow summaries to, keyed by target, for "
                "the alerter's target-keyed detectors (flood per target, ARP reply storm); "
                "empty = each worker runs them on its own share"},
    SettingSpec{"kafka", "summaries_queue", T::kInt, "10000", 100, 10000000,
                "Summary messages a worker queues for the broker; beyond that they are dropped "
                "(counted), never waited for"},
    SettingSpec{"kafka", "security_protocol", T::kString, "plaintext", 0, -1,
                "How clients talk to the brokers: TLS (ssl), SASL, both, or neither",
                "plaintext|ssl|sasl_plaintext|sasl_ssl"},
    SettingSpec{"kafka", "ssl_ca_location", T::kString, "", 0, -1,
                "PEM file of the CA(s) that signed the brokers' certificates (empty = the "
                "system's trust store)"},
    SettingSpec{"kafka", "ssl_certificate_location", T::kString, "", 0, -1,
                "Client certificate (PEM) for brokers that require TLS client authentication"},
    SettingSpec{"kafka", "ssl_key_location", T::kString, "", 0, -1,
                "Private key (PEM) of the client certificate"},
    SettingSpec{"kafka", "ssl_key_password", T::kString, "", 0, -1,
                "Password of an encrypted ssl_key_location", "", true},
    SettingSpec{"kafka", "ssl_endpoint_identification", T::kString, "https", 0, -1,
                "Check that the broker's certificate names the host connected to (https) or not "
                "(none: any certificate the CA signed is accepted)",
                "https|none"},
    SettingSpec{"kafka", "sasl_mechanism", T::kString, "SCRAM-SHA-512", 0, -1,
                "SASL mechanism with sasl_plaintext or sasl_ssl (PLAIN sends the password "
                "itself: use it over TLS only)",
                "PLAIN|SCRAM-SHA-256|SCRAM-SHA-512"},
    SettingSpec{"kafka", "sasl_username", T::kString, "", 0, -1, "SASL user name"},
    SettingSpec{"kafka", "sasl_password", T::kString, "", 0, -1, "SASL password", "", true},
    SettingSpec{"kafka", "properties", T::kTable, "", 0, -1,
                "Any other librdkafka client property, applied last to every Kafka client "
                "([kafka.properties] table, --set kafka.properties.KEY=VALUE, or "
                "'key=value;key=value' in the environment)",
                "", true},

    SettingSpec{"pipeline", "role", T::kString, "all", 0, -1,
                "What this process does: score (worker), alert (alerter), or both",
                "worker|alerter|all"},
    SettingSpec{"pipeline", "batch_size", T::kInt, "4000", 1, 100000,
                "Most flows scored and stored together"},
    SettingSpec{"pipeline", "batch_ms", T::kInt, "20", 1, 10000,
                "Longest a partial batch waits before it is scored"},
    SettingSpec{"pipeline", "queue_batches", T::kInt, "8", 1, 1024,
                "Batches buffered between stages before consumption pauses"},
    SettingSpec{"pipeline", "explain_top_k", T::kInt, "3", 0, 20,
                "Features kept in a stored anomaly's SHAP explanation (0 = none)"},
    SettingSpec{"pipeline", "explain_per_second", T::kDouble, "2000", 0, 100000,
                "Stored anomalies explained per second (linear TreeSHAP, ~0.4 ms of CPU each), "
                "the highest scores of each batch first, plus the top one of every 10 s; the rest "
                "are stored without one (0 = none)"},

    SettingSpec{"zeek", "link_header_bytes", T::kInt, "14", 0, 64,
                "Link-layer bytes added per packet to Zeek's orig/resp_ip_bytes, as UNSW-NB15's "
                "sbytes/dbytes count them (14 = Ethernet, 0 = IP bytes only)"},
    SettingSpec{"zeek", "max_join_entries", T::kInt, "100000", 1, 10000000,
                "Connections from http.log/ftp.log held while waiting for their conn.log row"},

    SettingSpec{"siem", "outputs", T::kString, "", 0, -1,
                "SIEM outputs separated by ';', each 'KIND TARGET [key=value ...]': file PATH, "
                "kafka TOPIC, syslog udp|tcp|tls://HOST:PORT, webhook URL; keys filter="
                "anomalies|alerts|all, format=ecs|ocsf|cef|json, name=, max_mb=, keep=, ca=, "
                "cert=, key=, brokers=, secret=, header=Name:value (see docs/siem.md)",
                "", true},
    SettingSpec{"siem", "webhook_secret", T::kString, "", 0, -1,
                "HMAC-SHA256 key signing SIEM webhook bodies (X-Flowsentry-Signature); a "
                "webhook output's secret= overrides it; empty = unsigned",
                "", true},
    SettingSpec{"siem", "queue_capacity", T::kInt, "10000", 1, 10000000,
                "Records each SIEM output holds while delivering; more are dropped and counted"},
    SettingSpec{"siem", "max_attempts", T::kInt, "5", 1, 100,
                "Delivery attempts per record before a SIEM output drops it"},
    SettingSpec{"siem", "backoff_s", T::kDouble, "0.5", 0, 3600,
                "Wait before a SIEM output's second attempt; doubles each time"},
    SettingSpec{"siem", "backoff_max_s", T::kDouble, "30", 0, 86400,
                "Longest wait between a SIEM output's attempts"},
    SettingSpec{"siem", "circuit_failures", T::kInt, "5", 0, 1000,
                "Failed attempts in a row that open a SIEM output's circuit: records are then "
                "dropped (counted, reason circuit_open) until a probe succeeds; 0 = never"},
    SettingSpec{"siem", "circuit_open_s", T::kDouble, "10", 0, 86400,
                "How long a SIEM output's circuit stays open before one probe record; doubles "
                "after a failed probe, up to max(this, siem.backoff_max_s)"},
    SettingSpec{"siem", "timeout_s", T::kDouble, "5", 0.05, 300,
                "Connect and send timeout of syslog and webhook outputs"},
    SettingSpec{"siem", "hostname", T::kString, "", 0, -1,
                "HOSTNAME in syslog messages (empty = this host's name)"},
    SettingSpec{"siem", "syslog_facility", T::kInt, "16", 0, 23,
                "Syslog facility of SIEM messages (16 = local0)"},

    SettingSpec{"api", "host", T::kString, "127.0.0.1", 0, -1, "Address the HTTP server binds"},
    SettingSpec{"api", "port", T::kInt, "8080", 0, 65535, "HTTP port (0 picks a free one)"},
    SettingSpec{"api", "max_body_mb", T::kInt, "8", 1, 1024, "Largest request body accepted"},
    SettingSpec{
        "api", "threads", T::kInt, "16", 1, 1024,
        "HTTP worker threads for the slow requests (dashboard queries, alert tests, "
        "explained or over-16-KiB /predict calls); connections themselves are served by one event "
        "loop per core"},
    SettingSpec{"api", "token", T::kString, "", 0, -1,
                "Bearer token required on /predict, /alert-test and /api/ (empty = open; then "
                "the server only listens on loopback unless api.insecure_no_token)",
                "", true},
    SettingSpec{"api", "insecure_no_token", T::kBool, "false", 0, -1,
                "Allow listening on a non-loopback api.host with an empty api.token (the "
                "--insecure-no-token flag); anyone who reaches the port can then use the API"},
    SettingSpec{"api", "allowed_hosts", T::kString, "localhost,127.0.0.1,[::1]", 0, -1,
                "Host header names accepted, comma separated, any port (DNS-rebinding guard; "
                "api.host is added; * = any); others are answered 421"},
    SettingSpec{"api", "query_threads", T::kInt, "4", 1, 1024,
                "HTTP worker threads for /readyz, dashboard queries and static files, apart "
                "from api.threads so slow /predict and alert tests cannot starve them"},
    SettingSpec{"api", "max_connections", T::kInt, "1024", 16, 1000000,
                "Most open HTTP connections"},
    SettingSpec{"api", "max_connections_per_client", T::kInt, "64", 0, 1000000,
                "Most open HTTP connections from one client IP address (0 = no limit; raise it "
                "behind a reverse proxy, which is one client)"},
    SettingSpec{"api", "idle_timeout_s", T::kInt, "10", 1, 3600,
                "An HTTP connection silent this long, mid-request or between, is closed"},
    SettingSpec{"api", "request_timeout_s", T::kInt, "30", 1, 3600,
                "Deadline for a client to send a whole request (headers and body), counted from "
                "the connection or its previous answer; past it the connection is closed"},
    SettingSpec{"api", "access_log", T::kBool, "false", 0, -1,
                "Log every HTTP request (module \"access\": method, path, status, bytes, "
                "duration_ms, client)"},
    SettingSpec{"api", "tls_cert", T::kString, "", 0, -1,
                "PEM certificate file (chain after it) for HTTPS; set with api.tls_key, or leave "
                "both empty for plain HTTP"},
    SettingSpec{"api", "tls_key", T::kString, "", 0, -1,
                "PEM private key file (unencrypted; readable by flowsentry only) of "
                "api.tls_cert; its contents are never logged"},
    SettingSpec{"api", "max_explain_flows", T::kInt, "1000", 1, 10000,
                "Most flows in one explained /predict call (~0.4 ms of CPU each); larger batches "
                "are answered 400 (use explain=0 or split them)"},

    SettingSpec{"detect", "adwin_delta", T::kDouble, "0.002", 1e-9, 0.5,
                "ADWIN confidence: smaller means fewer, surer change alarms"},
    SettingSpec{"detect", "adwin_clock", T::kInt, "32", 1, 100000,
                "ADWIN checks for change every N scores"},
    SettingSpec{"detect", "mix_window_flows", T::kInt, "5000", 10, 10000000,
                "Flows per traffic-mix window (count windows)"},
    SettingSpec{"detect", "mix_window_seconds", T::kInt, "60", 0, 86400,
                "Seconds per traffic-mix window (0 = count windows only)"},
    SettingSpec{"detect", "mix_min_count", T::kInt, "500", 1, 10000000,
                "No mix-drift verdict for a window with fewer flows"},
    SettingSpec{"detect", "mix_debounce", T::kInt, "3", 1, 1000,
                "Consecutive windows over threshold before a drift event"},
    SettingSpec{"detect", "mix_js_threshold", T::kDouble, "0.05", 0, 1,
                "Jensen-Shannon divergence (nats) that counts as drift"},
    SettingSpec{"detect", "adwin_min_window", T::kInt, "10", 0, 1000000,
                "ADWIN tests for change only once its window holds more scores than this"},
    SettingSpec{"detect", "adwin_min_subwindow", T::kInt, "5", 1, 1000000,
                "ADWIN: fewest scores on each side of a cut"},
    SettingSpec{"detect", "adwin_max_buckets", T::kInt, "5", 2, 100,
                "ADWIN: buckets of one size kept before merging (memory vs cut resolution)"},
    SettingSpec{"detect", "mix_smoothing", T::kDouble, "0.5", 0, 1000,
                "Additive smoothing of category counts for KL and PSI"},
    SettingSpec{"detect", "anomaly_alerts", T::kString, "auto", 0, -1,
                "Per-flow anomaly alerts (bursts, single flows): auto = on, except for flows "
                "metered from a site's packets or collectors (they carry srcip) while the model "
                "is not calibrated for the site (flowsentry calibrate)",
                "auto|on|off"},

    SettingSpec{"behaviour", "enabled", T::kBool, "true", 0, -1,
                "Run the host-behaviour detectors (scans, sweeps, password guessing, floods, ARP "
                "spoofing, beaconing) on every flow with srcip/dstip/stime"},
    SettingSpec{"behaviour", "max_hosts", T::kInt, "100000", 1, 100000000,
                "States kept per behaviour detector (host or host pair); the oldest is evicted "
                "first (flowsentry_detector_evictions_total)"},
    SettingSpec{"behaviour", "max_examples", T::kInt, "5", 0, 100,
                "Example flows carried in a behaviour alert's evidence"},
    SettingSpec{"behaviour", "scan_window_s", T::kDouble, "300", 1, 86400,
                "Port-scan window per source, seconds of event time"},
    SettingSpec{"behaviour", "scan_ports", T::kInt, "15", 2, 65536,
                "Vertical port scan: distinct ports of one target with failed attempts (REQ, "
                "INT, bare RST, unanswered UDP) from one source within the window"},
    SettingSpec{"behaviour", "scan_hosts", T::kInt, "20", 2, 1000000,
                "Horizontal port scan: distinct targets with failed attempts on one port"},
    SettingSpec{"behaviour", "scan_half_open_ports", T::kInt, "4", 2, 65536,
                "Vertical port scan: distinct ports of one target probed half-open (SYN, "
                "SYN-ACK, then the prober's RST: nmap -sS of open ports, as before -sV)"},
    SettingSpec{"behaviour", "sweep_window_s", T::kDouble, "60", 1, 86400,
                "Host-sweep window per source, seconds of event time"},
    SettingSpec{"behaviour", "sweep_hosts", T::kInt, "16", 2, 1000000,
                "icmp_sweep: distinct targets of ICMP echo/timestamp or ARP requests from one "
                "source within the sweep window"},
    SettingSpec{"behaviour", "password_window_s", T::kDouble, "120", 1, 86400,
                "Password-guessing window per source, target and service, seconds"},
    SettingSpec{"behaviour", "password_attempts", T::kInt, "10", 2, 1000000,
                "Short established connections to ssh/ftp/telnet/rdp/smtp/pop3/imap that make "
                "password guessing"},
    SettingSpec{"behaviour", "password_http_attempts", T::kInt, "200", 2, 1000000,
                "The same for HTTP(S) ports 80/443/8080 (browsers open many connections)"},
    SettingSpec{"behaviour", "password_max_duration_s", T::kDouble, "30", 0.1, 86400,
                "Longer connections are sessions, not login attempts"},
    SettingSpec{"behaviour", "flood_window_s", T::kDouble, "10", 0.1, 3600,
                "Flood window per source and per target, seconds of event time"},
    SettingSpec{"behaviour", "flood_packets", T::kInt, "1000", 10, 1000000000,
                "SYN (half-open), UDP (unanswered) or ICMP packets in the flood window that "
                "make a flood (SYN/UDP: mostly to one port)"},
    SettingSpec{"behaviour", "flood_dhcp_packets", T::kInt, "200", 2, 1000000000,
                "DHCP (udp 67/68) packets in the flood window that make a DHCP flood"},
    SettingSpec{"behaviour", "arp_window_s", T::kDouble, "60", 1, 86400,
                "ARP reply-storm window per MAC, seconds"},
    SettingSpec{"behaviour", "arp_unsolicited", T::kInt, "4", 1, 1000000,
                "Unsolicited ARP replies or gratuitous ARPs from one MAC in the window that "
                "make arp_spoofing (an IP claimed by two MACs alerts at once)"},
    SettingSpec{"behaviour", "beacon_min_connections", T::kInt, "20", 4, 1000000,
                "Connections from one source to one destination and port before their "
                "intervals are scored for beaconing"},
    SettingSpec{"behaviour", "beacon_min_score", T::kDouble, "0.8", 0, 1,
                "Beacon score (mean of 1-|Bowley skew| and 1-MAD/median of the intervals) "
                "that alerts"},
    SettingSpec{"behaviour", "beacon_idle_s", T::kDouble, "7200", 1, 604800,
                "A source/destination pair silent this long is forgotten by the beacon detector"},
    SettingSpec{"behaviour", "beacon_ignore_ports", T::kString, "53,123,5353", 0, -1,
                "Destination ports never scored for beaconing, comma separated (resolvers and "
                "clocks poll on purpose)"},

    SettingSpec{"alert", "burst_min_hits", T::kInt, "10", 1, 1000000,
                "Anomalies within the burst window that make a burst"},
    SettingSpec{"alert", "burst_window_min", T::kDouble, "5", 0.01, 1440,
                "Burst window length in minutes of event time"},
    SettingSpec{"alert", "cooldown_s", T::kInt, "600", 0, 604800,
                "Seconds before an alert with the same key is sent again"},
    SettingSpec{"alert", "single_flow", T::kBool, "false", 0, -1,
                "Alert on every flow over single_flow_threshold (floods at line rate)"},
    SettingSpec{"alert", "single_flow_threshold", T::kDouble, "0.99", 0, 1,
                "Score that raises a single-flow alert when single_flow is on"},
    SettingSpec{"alert", "slack_webhook_url", T::kString, "", 0, -1,
                "Slack incoming-webhook URL (empty = off)", "", true},
    SettingSpec{"alert", "webhook_url", T::kString, "", 0, -1,
                "Generic JSON webhook URL (empty = off)", "", true},
    SettingSpec{"alert", "burst_quiet_min", T::kDouble, "5", 0, 1440,
                "Minutes without a burst trigger that end a burst episode"},
    SettingSpec{"alert", "burst_rate_mode", T::kBool, "false", 0, -1,
                "Burst = window count over rate_factor x trailing baseline (busy networks)"},
    SettingSpec{"alert", "burst_rate_factor", T::kDouble, "3", 1.01, 1000,
                "Rate mode: how many times the trailing baseline makes a burst"},
    SettingSpec{"alert", "burst_rate_min_hits", T::kInt, "20", 1, 1000000,
                "Rate mode: fewest anomalies in the window for a burst"},
    SettingSpec{"alert", "burst_key", T::kString, "global", 0, -1,
                "What a burst counts over: all anomalies (global), or each source or "
                "destination host apart (one scanner is its own episode, alert and cooldown)",
                "global|source|destination"},
    SettingSpec{"alert", "burst_max_hosts", T::kInt, "10000", 1, 10000000,
                "Hosts tracked at most by a per-host burst rule (the longest idle is forgotten "
                "first)"},
    SettingSpec{"alert", "dashboard_url", T::kString, "", 0, -1,
                "The dashboard's public URL (e.g. https://flowsentry.example.org); Slack "
                "messages then link each host they name to its host page"},
    SettingSpec{"alert", "rate_per_min", T::kDouble, "30", 0, 100000,
                "Most alerts each notifier sends per minute (0 = unlimited); alerts over it "
                "wait in the queue"},
    SettingSpec{"alert", "test_rate_per_min", T::kDouble, "10", 0, 100000,
                "Most /alert-test alerts each notifier sends per minute, apart from real alerts"},
    SettingSpec{"alert", "suppressions_max", T::kInt, "1000", 0, 100000,
                "Most suppression rules the alerting path loads from the store (newest first)"},
    SettingSpec{"alert", "suppressions_reload_s", T::kDouble, "30", 1, 3600,
                "Seconds between reloads of the suppression rules from the store"},
    SettingSpec{"alert", "queue_capacity", T::kInt, "1000", 1, 1000000,
                "Alert deliveries queued before new alerts are dropped"},
    SettingSpec{"alert", "max_attempts", T::kInt, "4", 1, 20,
                "Delivery attempts per alert and notifier (retries use exponential backoff)"},
    SettingSpec{"alert", "backoff_s", T::kDouble, "1", 0, 3600,
                "Delay before the first retry; doubles each retry, with jitter"},
    SettingSpec{"alert", "timeout_s", T::kDouble, "5", 0.05, 300,
                "HTTP timeout of one webhook request"},
};

}  // namespace

std::string SettingSpec::name() const {
  std::string out(section);
  out += '.';
  out += key;
  return out;
}

std::string SettingSpec::env_var() const {
  std::string out = "FLOWSENTRY_" + name();
  for (char& c : out) c = c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return out;
}

std::span<const SettingSpec> all_settings() {
  return kSettings;
}

const SettingSpec* find_setting(std::string_view dotted_name) {
  for (const auto& s : kSettings) {
    if (dotted_name.size() == s.section.size() + 1 + s.key.size() &&
        dotted_name.starts_with(s.section) && dotted_name[s.section.size()] == '.' &&
        dotted_name.ends_with(s.key)) {
      return &s;
    }
  }
  return nullptr;
}

const char* setting_type_name(SettingType type) {
  switch (type) {
    case SettingType::kBool:
      return "bool";
    case SettingType::kInt:
      return "integer";
    case SettingType::kDouble:
      return "number";
    case SettingType::kString:
      return "string";
    case SettingType::kTable:
      return "table";
  }
  return "?";
}

}  // namespace flowsentry
