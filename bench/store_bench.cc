// bench_store: the storage bars. Loads N flows (default 1M, 24 h of event time) into a store
// through Store::write, reports sustained write rate, then the p50/p95 of every dashboard query
// over a 1-hour and a 24-hour window. On PostgreSQL it also measures the reference way — one
// INSERT per row, autocommit — side by side in the same run and prints the ratio.
//
//   bench_store --store URL [--flows N] [--batch N] [--reference-rows N] [--runs N] [--hosts N]
//               [--feature-sample S] (default 0.01; -1 keeps no features, the write path before
//               features were stored)
// With --hosts (default 10,000) flows carry addresses and the host queries are timed too.
// Run through bench/store_bench.sh, which starts a PostgreSQL server and runs both backends.
#include <libpq-fe.h>

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "common/log.h"
#include "store/store.h"

namespace fs = flowsentry;
using Clock = std::chrono::steady_clock;

namespace {

constexpr double kEnd = 1772409600;  // 2026-03-02 00:00:00 UTC; flows fill the day before it

struct Args {
  std::string store;
  size_t flows = 1000000;
  size_t batch = 4000;  // pipeline.batch_size
  size_t reference_rows = 10000;
  int runs = 30;
  long server_pid = 0;
  size_t hosts = 10000;          // distinct addresses on either side; 0 = flows without identity
  double feature_sample = 0.01;  // store.feature_sample; < 0 = store.keep_features off
};

// Host h of the bench's address space: 10.x.y.z, with every 50th host an IPv6 one.
std::string host_address(size_t h) {
  if (h % 50 == 49) return fmt::format("2001:db8::{:x}", h);
  return fmt::format("10.{}.{}.{}", (h >> 16) & 255, (h >> 8) & 255, h & 255);
}

double cpu_now() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds used so far by process `pid` and its live children (PostgreSQL's postmaster
// and its backends), from /proc; 0 when pid is 0 or unreadable.
double tree_cpu_seconds(long pid) {
  if (pid <= 0) return 0;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  double total = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc")) {
    const auto name = e.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream in(e.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    long ppid = 0;
    rest >> state >> ppid;
    if (std::stol(name) != pid && ppid != pid) continue;
    std::string skip;
    for (int i = 0; i < 9; ++i) rest >> skip;  // pgrp .. cmajflt
    double utime = 0, stime = 0;
    rest >> utime >> stime;
    total += (utime + stime) / tick;
  }
  return total;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Traffic shaped like UNSW-NB15: (proto, service, state, ct_state_ttl, label) profiles with the
// relative frequencies of the data set's train split (its top 25 combinations, ~95% of rows),
// plus a long tail of rare protocols. The categorical columns are correlated in real traffic
// (ct_state_ttl is derived from state and TTLs), which is what keeps rollups small.
struct Profile {
  const char* proto;
  const char* service;
  const char* state;
  int ct_state_ttl;
  int label;
  double weight;
};
constexpr Profile kProfiles[] = {
    {"udp", "dns", "INT", 2, 1, 10948}, {"tcp", "-", "FIN", 1, 0, 5590},
    {"tcp", "-", "FIN", 0, 0, 4982},    {"tcp", "-", "FIN", 1, 1, 4778},
    {"tcp", "http", "FIN", 1, 1, 2561}, {"unas", "-", "INT", 2, 1, 2146},
    {"udp", "-", "INT", 2, 0, 2111},    {"udp", "dns", "CON", 0, 0, 1791},
    {"udp", "-", "INT", 2, 1, 1688},    {"tcp", "http", "FIN", 1, 0, 1397},
    {"tcp", "-", "CON", 3, 0, 1193},    {"tcp", "-", "REQ", 6, 0, 1000},
    {"tcp", "http", "FIN", 0, 0, 971},  {"udp", "-", "CON", 0, 0, 909},
    {"tcp", "smtp", "FIN", 1, 1, 680},  {"tcp", "ftp-data", "FIN", 0, 0, 581},
    {"arp", "-", "INT", 2, 0, 564},     {"tcp", "ftp", "FIN", 1, 1, 471},
    {"tcp", "smtp", "FIN", 0, 0, 369},  {"ospf", "-", "INT", 2, 1, 320},
    {"tcp", "ftp", "FIN", 1, 0, 269},   {"tcp", "ftp-data", "FIN", 1, 1, 260},
    {"tcp", "pop3", "FIN", 1, 1, 250},  {"tcp", "ftp", "FIN", 0, 0, 187},
    {"sctp", "-", "INT", 2, 1, 136},    {"tail", "-", "INT", 2, 1, 2300},
};

class FlowMaker {
 public:
  explicit FlowMaker(size_t total, size_t hosts = 0) : total_(total), hosts_(hosts), rng_(42) {
    std::vector<double> w;
    for (const auto& p : kProfiles) w.push_back(p.weight);
    pick_ = std::discrete_distribution<size_t>(w.begin(), w.end());
    for (int i = 0; i < 100; ++i) tail_.push_back(fmt::format("proto{}", i));
  }

  void fill(std::vector<fs::model::ScoredFlow>& out, size_t first, size_t n,
            const std::string& source) {
    std::uniform_real_distribution<double> u(0, 1);
    out.resize(n);
    for (size_t i = 0; i < n; ++i) {
      auto& f = out[i].flow;
      auto& v = out[i].verdict;
      const size_t idx = first + i;
      const Profile& p = kProfiles[pick_(rng_)];
      f.key = {source, static_cast<int64_t>(idx % 8), static_cast<int64_t>(idx)};
      // In arrival order over the 24 h before kEnd, with a little jitter.
      f.stime = kEnd - 86400 +
                (static_cast<double>(idx) + u(rng_)) * 86400.0 / static_cast<double>(total_);
      f.proto = std::string_view(p.proto) == "tail" ? tail_[rng_() % tail_.size()] : p.proto;
      f.service = p.service;
      f.state = p.state;
      f[fs::flow::kSload] = std::floor(u(rng_) * 1e7);
      f[fs::flow::kDload] = std::floor(u(rng_) * 1e7);
      f[fs::flow::kSpkts] = std::floor(u(rng_) * 200);
      f[fs::flow::kDpkts] = std::floor(u(rng_) * 200);
      f[fs::flow::kSjit] = u(rng_) * 100;
      f[fs::flow::kDjit] = u(rng_) * 100;
      f[fs::flow::kTcprtt] = u(rng_) * 0.2;
      f[fs::flow::kSynack] = u(rng_) * 0.1;
      f[fs::flow::kAckdat] = u(rng_) * 0.1;
      f[fs::flow::kDur] = u(rng_) * 10;
      f[fs::flow::kSttl] = p.label ? 254 : 31;
      f[fs::flow::kDttl] = p.label ? 252 : 29;
      f[fs::flow::kCtStateTtl] = p.ct_state_ttl;
      // The model mostly agrees with the ground truth.
      v.score = p.label ? 1 - 0.5 * std::pow(u(rng_), 3) : 0.5 * std::pow(u(rng_), 3);
      if (u(rng_) < 0.03) v.score = 1 - v.score;
      v.label = v.score >= 0.5 ? 1 : 0;
      v.attack_cat = v.label ? "Exploits" : "Normal";
      v.model_version = "bench-1";
      f[fs::flow::kSbytes] = std::floor(u(rng_) * 1e5);
      f[fs::flow::kDbytes] = std::floor(u(rng_) * 1e5);
      if (hosts_ > 0) {
        // Sources skewed (a few talk a lot, as scanners and servers do), destinations uniform.
        const auto src = static_cast<size_t>(std::pow(u(rng_), 2) * static_cast<double>(hosts_));
        f.srcip = host_address(std::min(src, hosts_ - 1));
        f.dstip = host_address(rng_() % hosts_);
        f.sport = static_cast<int64_t>(1024 + rng_() % 60000);
        f.dsport = static_cast<int64_t>(p.label ? rng_() % 1024 : 443);
        f.ltime = *f.stime + f[fs::flow::kDur];
      }
    }
  }

 private:
  size_t total_;
  size_t hosts_;
  std::mt19937_64 rng_;
  std::discrete_distribution<size_t> pick_;
  std::vector<std::string> tail_;
};

int usage(const char* msg) {
  std::cerr << "bench_store: " << msg
            << "\nusage: bench_store --store URL [--flows N] [--batch N] [--reference-rows N] "
               "[--runs N] [--hosts N] [--feature-sample S]\n";
  return 2;
}

// One INSERT per row, autocommit: how a naive client writes.
double reference_insert_rate(const std::string& url, size_t rows) {
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    std::cerr << "reference: " << PQerrorMessage(c);
    PQfinish(c);
    return 0;
  }
  FlowMaker maker(rows);
  std::vector<fs::model::ScoredFlow> flows;
  maker.fill(flows, 0, rows, "reference");
  const char* sql =
      "INSERT INTO anomaly_scores (stime, source, source_partition, source_offset, score, label, "
      "attack_cat, proto, state, service, sload, dload, spkts, dpkts, sjit, djit, sttl, dttl, "
      "dur, tcprtt, synack, ackdat, ct_state_ttl, model_version) VALUES ($1, $2, $3, $4, $5, $6, "
      "$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24) "
      "ON CONFLICT DO NOTHING";
  auto t0 = Clock::now();
  for (const auto& sf : flows) {
    const auto& f = sf.flow;
    const auto& v = sf.verdict;
    std::vector<std::string> s{fmt::format("{}", *f.stime),
                               f.key.source,
                               std::to_string(f.key.partition),
                               std::to_string(f.key.offset),
                               fmt::format("{}", v.score),
                               std::to_string(v.label),
                               v.attack_cat,
                               f.proto,
                               f.state,
                               f.service};
    for (auto k : {fs::flow::kSload, fs::flow::kDload, fs::flow::kSpkts, fs::flow::kDpkts,
                   fs::flow::kSjit, fs::flow::kDjit, fs::flow::kSttl, fs::flow::kDttl,
                   fs::flow::kDur, fs::flow::kTcprtt, fs::flow::kSynack, fs::flow::kAckdat}) {
      s.push_back(fmt::format("{}", f[k]));
    }
    s.push_back(std::to_string(static_cast<int64_t>(f[fs::flow::kCtStateTtl])));
    s.push_back(v.model_version);
    std::vector<const char*> p;
    for (auto& x : s) p.push_back(x.c_str());
    PGresult* r =
        PQexecParams(c, sql, static_cast<int>(p.size()), nullptr, p.data(), nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
      std::cerr << "reference insert failed: " << PQresultErrorMessage(r);
      PQclear(r);
      PQfinish(c);
      return 0;
    }
    PQclear(r);
  }
  const double rate = static_cast<double>(rows) / seconds_since(t0);
  PQclear(PQexec(c, "DELETE FROM anomaly_scores WHERE source = 'reference'"));
  PQfinish(c);
  return rate;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  const size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

// The host queries of /api/v1/flows and /api/v1/hosts/* over the same 1-hour and 24-hour
// windows, each run on another host (a busy one, then quieter ones) or block.
bool host_queries(fs::store::Store& store, const Args& a) {
  using namespace fs::store;
  auto range = [](const std::string& text) { return *parse_address_range(text); };
  struct Q {
    const char* name;
    std::function<bool(const Query&, int)> run;
  };
  auto host = [&](int r) { return host_address(static_cast<size_t>(r * 97) % a.hosts); };
  const std::vector<Q> queries{
      {"flows host=IP",
       [&](const Query& q, int r) {
         FlowFilter f{.host = range(host(r))};
         return store.list_flows(q, f, std::nullopt, 100).ok();
       }},
      {"flows host=/24",
       [&](const Query& q, int r) {
         FlowFilter f{.host = range(fmt::format("10.0.{}.0/24", r % 39))};
         return store.list_flows(q, f, std::nullopt, 100).ok();
       }},
      {"flows src=/16 anomalies",
       [&](const Query& q, int) {
         FlowFilter f{.src = range("10.0.0.0/16"), .anomalies = true};
         return store.list_flows(q, f, std::nullopt, 100).ok();
       }},
      {"flows (no filter), page 2",
       [&](const Query& q, int) {
         auto first = store.list_flows(q, {}, std::nullopt, 100);
         return first.ok() && store.list_flows(q, {}, first->next, 100).ok();
       }},
      {"hosts/top by anomalies, any",
       [&](const Query& q, int) {
         return store.top_hosts(q, HostOrder::kAnomalies, HostRole::kAny, 20).ok();
       }},
      {"hosts/top by bytes, src",
       [&](const Query& q, int) {
         return store.top_hosts(q, HostOrder::kBytes, HostRole::kSrc, 20).ok();
       }},
      {"hosts/{ip}",
       [&](const Query& q, int r) {
         const auto ip = host(r);
         return store.host_detail(q, range(ip).lo, 20).ok() &&
                store.alerts_naming(q.from, q.to, ip, 50).ok();
       }},
  };
  fmt::print("\n### host queries ({} distinct hosts)\n\n", a.hosts);
  fmt::print("| query | window | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|\n");
  bool ok = true;
  double worst = 0;
  for (double window : {3600.0, 86400.0}) {
    for (const auto& q : queries) {
      std::vector<double> ms;
      for (int r = 0; r < a.runs; ++r) {
        Query w{kEnd - window + 7.3 * r, kEnd + 7.3 * r};
        auto t0 = Clock::now();
        ok = q.run(w, r) && ok;
        ms.push_back(seconds_since(t0) * 1000);
      }
      const double p95 = percentile(ms, 0.95);
      worst = std::max(worst, p95);
      fmt::print("| {} | {} | {:.1f} | {:.1f} | {:.1f} |\n", q.name,
                 window == 3600 ? "1 h" : "24 h", percentile(ms, 0.5), p95,
                 *std::max_element(ms.begin(), ms.end()));
    }
  }
  fmt::print("\nworst host query p95: {:.1f} ms\n", worst);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    if (k == "--help" || k == "-h") {
      usage("storage benchmark");
      return 0;
    }
    if (i + 1 >= argc) return usage(("missing value for " + k).c_str());
    std::string v = argv[++i];
    if (k == "--store") {
      a.store = v;
    } else if (k == "--flows") {
      a.flows = std::stoul(v);
    } else if (k == "--batch") {
      a.batch = std::stoul(v);
    } else if (k == "--reference-rows") {
      a.reference_rows = std::stoul(v);
    } else if (k == "--server-pid") {
      a.server_pid = std::stol(v);
    } else if (k == "--hosts") {
      a.hosts = std::stoul(v);
    } else if (k == "--runs") {
      a.runs = std::stoi(v);
    } else if (k == "--feature-sample") {
      a.feature_sample = std::stod(v);  // < 0: no features kept (store.keep_features = false)
    } else {
      return usage(("unknown option " + k).c_str());
    }
  }
  if (a.store.empty()) return usage("--store is required");
  (void)fs::set_log_level("warn");

  fs::store::StoreOptions so;
  so.url = a.store;
  so.retention_days = 3650;
  so.keep_features = a.feature_sample >= 0;
  if (so.keep_features) so.feature_sample = a.feature_sample;
  auto opened = fs::store::open_store(so);
  if (!opened.ok()) {
    std::cerr << "bench_store: " << opened.error().to_string() << "\n";
    return 1;
  }
  auto& store = **opened;
  const bool pg = store.backend() == "postgres";
  fmt::print("## {} ({} flows, batch {}, {})\n\n", store.backend(), a.flows, a.batch,
             so.keep_features
                 ? fmt::format("features of anomalies + {} of the rest", so.feature_sample)
                 : std::string("no features kept"));

  FlowMaker maker(a.flows, a.hosts);
  std::vector<fs::model::ScoredFlow> batch;
  double write_seconds = 0, client_cpu = 0;
  int64_t stored = 0;
  const double server_cpu0 = tree_cpu_seconds(a.server_pid);
  for (size_t first = 0; first < a.flows; first += a.batch) {
    maker.fill(batch, first, std::min(a.batch, a.flows - first), "kafka:flows");
    auto t0 = Clock::now();
    const double c0 = cpu_now();
    auto r = store.write(batch);
    client_cpu += cpu_now() - c0;
    write_seconds += seconds_since(t0);
    if (!r.ok()) {
      std::cerr << "bench_store: write failed: " << r.error().to_string() << "\n";
      return 1;
    }
    stored += *r;
  }
  const double server_cpu = tree_cpu_seconds(a.server_pid) - server_cpu0;
  // The reference way, measured in the same run against the same table (its rows go to the
  // same day's partition, under their own source, and are deleted afterwards).
  double ref_rate = 0;
  if (pg && a.reference_rows > 0) ref_rate = reference_insert_rate(a.store, a.reference_rows);
  const double rate = static_cast<double>(stored) / write_seconds;
  fmt::print("write: {} flows in {:.1f} s = {:.0f} flows/s (Store::write, batches of {})\n", stored,
             write_seconds, rate, a.batch);
  const double us_client = client_cpu * 1e6 / static_cast<double>(stored);
  const double us_server = server_cpu * 1e6 / static_cast<double>(stored);
  fmt::print(
      "write CPU: {:.1f} us/flow in the client{}; CPU-bound capacity {:.0f} flows/s per core "
      "(wall-clock rates drop when other processes share the cores)\n",
      us_client, a.server_pid ? fmt::format(" + {:.1f} us/flow in the server", us_server) : "",
      1e6 / (us_client + us_server));
  if (pg && ref_rate > 0) {
    fmt::print(
        "reference (one INSERT per row, autocommit, {} rows): {:.0f} flows/s; "
        "ratio {:.1f}x\n",
        a.reference_rows, ref_rate, rate / ref_rate);
  }
  // Re-writing the last batch stores nothing (idempotency under load).
  auto again = store.write(batch);
  fmt::print("re-write of the last batch stored {} flows\n\n",
             again.ok() ? std::to_string(*again) : again.error().to_string());

  using fs::store::Query;
  struct Q {
    const char* name;
    std::function<bool(const Query&)> run;
  };
  const std::vector<Q> queries{
      {"score_series", [&](const Query& q) { return store.score_series(q).ok(); }},
      {"kpi_series", [&](const Query& q) { return store.kpi_series(q).ok(); }},
      {"proto_mix",
       [&](const Query& q) { return store.mix(q, fs::store::MixColumn::kProto, 8).ok(); }},
      {"state_mix",
       [&](const Query& q) { return store.mix(q, fs::store::MixColumn::kState, 8).ok(); }},
      {"ct_state_ttl", [&](const Query& q) { return store.ct_state_ttl_counts(q).ok(); }},
      {"recent_anomalies", [&](const Query& q) { return store.recent_anomalies(q, 50).ok(); }},
      {"top_scores", [&](const Query& q) { return store.top_scores(q, 50).ok(); }},
      {"count", [&](const Query& q) { return store.count(q).ok(); }},
  };
  fmt::print("| query | window | filter | p50 ms | p95 ms | max ms |\n|---|---|---|---|---|---|\n");
  bool ok = true;
  double worst = 0;
  for (double window : {3600.0, 86400.0}) {
    for (const char* proto : {"", "udp"}) {
      for (const auto& q : queries) {
        std::vector<double> ms;
        for (int r = 0; r < a.runs; ++r) {
          // "Now" moves a few seconds per run, as a refreshing dashboard's does.
          Query w{kEnd - window + 7.3 * r, kEnd + 7.3 * r};
          w.proto = proto;
          auto t0 = Clock::now();
          ok = q.run(w) && ok;
          ms.push_back(seconds_since(t0) * 1000);
        }
        const double p95 = percentile(ms, 0.95);
        worst = std::max(worst, p95);
        fmt::print("| {} | {} | {} | {:.1f} | {:.1f} | {:.1f} |\n", q.name,
                   window == 3600 ? "1 h" : "24 h", *proto ? "proto=udp" : "none",
                   percentile(ms, 0.5), p95, *std::max_element(ms.begin(), ms.end()));
      }
    }
  }
  fmt::print("\nworst query p95: {:.1f} ms\n", worst);
  if (a.hosts > 0) ok = host_queries(store, a) && ok;
  if (!ok) {
    std::cerr << "bench_store: a query failed\n";
    return 1;
  }
  return 0;
}
