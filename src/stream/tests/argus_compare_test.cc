// The meter against Argus 3.0.8 on the same captures: every crafted scenario of
// src/meter/tests/scenarios.h, the committed loopback captures in src/meter/tests/data and the
// labelled corpus of real namespace captures in src/cli/tests/data/corpus (scripts/make_corpus).
// Runs `argus -X -S 60 -J` and the reference `ra` command, joins both on (proto, addresses,
// ports, stime to the microsecond) and checks the match rates issue 18 asks for. Prints the
// match per field. Skips when argus/ra are not installed (scripts/bootstrap installs them).
#include <unistd.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "common/testing/shell.h"

#include "meter/tests/scenarios.h"
#include "stream/pcap_reader.h"

namespace flowsentry::stream {
namespace {

namespace fs = std::filesystem;

constexpr const char* kRaFields =
    "stime saddr sport daddr dport proto state dur spkts dpkts sbytes dbytes rate sttl dttl "
    "sload dload sloss dloss sintpkt dintpkt sjit djit swin dwin stcpb dtcpb tcprtt synack ackdat "
    "smeansz dmeansz";

std::string run(const std::string& cmd, int* code = nullptr) {
  auto r = flowsentry::testing::shell_run(cmd);
  if (code) *code = r.code;
  return r.out;
}

bool have(const char* tool) {
  return !run(fmt::format("command -v {}", tool)).empty();
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> f;
  std::stringstream ss(line);
  std::string x;
  while (std::getline(ss, x, ',')) f.push_back(x);
  if (!line.empty() && line.back() == ',') f.emplace_back();
  return f;
}

double num(const std::string& s) {
  if (s.empty() || s == "-nan" || s == "nan") return 0;
  return std::stod(s);
}

// One flow in ra's column order, as numbers (strings for the categorical ones).
struct Row {
  std::string state;
  std::map<std::string, double> v;
};

std::string join_key(const std::string& proto, const std::string& saddr, int64_t sport,
                     const std::string& daddr, int64_t dport, int64_t stime_us) {
  return fmt::format("{}|{}|{}|{}|{}|{}", proto, saddr, sport, daddr, dport, stime_us);
}

const std::vector<std::string> kNumCols = {
    "dur",   "spkts", "dpkts",  "sbytes", "dbytes", "rate",  "sttl", "dttl", "sload",
    "dload", "sloss", "dloss",  "sinpkt", "dinpkt", "sjit",  "djit", "swin", "dwin",
    "stcpb", "dtcpb", "tcprtt", "synack", "ackdat", "smean", "dmean"};

// Argus's records of `pcap`, keyed for the join.
std::map<std::string, Row> argus_rows(const std::string& pcap, const std::string& work) {
  std::map<std::string, Row> rows;
  const std::string argus_file = work + "/" + fs::path(pcap).stem().string() + ".argus";
  int code = 0;
  run(fmt::format("argus -X -S 60 -J -r '{}' -w '{}' 2>&1", pcap, argus_file), &code);
  EXPECT_EQ(code, 0) << "argus failed on " << pcap;
  std::string text =
      run(fmt::format("ra -n -u -p 6 -c , -r '{}' -s {} - ip 2>/dev/null", argus_file, kRaFields));
  std::stringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    auto f = split(line);
    if (f.size() < 32) continue;
    const std::string proto = f[5];
    int64_t sport, dport;
    if (proto == "icmp" || proto == "ipv6-icmp") {
      // ra prints ICMP type and code as a hex "port" (0xCCTT) and the id as the other one.
      int64_t tc = std::stoll(f[2], nullptr, 16);
      sport = tc & 0xFF;
      dport = tc >> 8;
    } else {
      sport = f[2].empty() ? 0 : std::stoll(f[2]);
      dport = f[4].empty() ? 0 : std::stoll(f[4]);
    }
    const int64_t stime_us = std::llround(num(f[0]) * 1e6);
    Row r;
    r.state = f[6];
    for (size_t i = 0; i < kNumCols.size(); ++i) r.v[kNumCols[i]] = num(f[7 + i]);
    rows[join_key(proto, f[1], sport, f[3], dport, stime_us)] = std::move(r);
  }
  return rows;
}

std::map<std::string, Row> meter_rows(const std::string& pcap) {
  meter::Meter m;
  auto r = meter_capture_file(pcap, m);
  EXPECT_TRUE(r.ok());
  m.finish();
  std::vector<flow::FlowRecord> recs;
  m.take(recs);
  std::map<std::string, Row> rows;
  for (const auto& rec : recs) {
    if (rec.proto == "arp") continue;  // `- ip` drops Argus's ARP flows
    Row row;
    row.state = rec.state;
    for (const auto& c : kNumCols) row.v[c] = rec[flow::num_field_by_name(c)];
    rows[join_key(rec.proto, *rec.srcip, *rec.sport, *rec.dstip, *rec.dsport,
                  std::llround(*rec.stime * 1e6))] = std::move(row);
  }
  return rows;
}

enum class Rule { kExact, kTime, kRelative, kWindow, kMean };

Rule rule_of(const std::string& c) {
  if (c == "dur" || c == "tcprtt" || c == "synack" || c == "ackdat") return Rule::kTime;
  if (c == "rate" || c == "sload" || c == "dload" || c == "sinpkt" || c == "dinpkt" ||
      c == "sjit" || c == "djit") {
    return Rule::kRelative;
  }
  if (c == "swin" || c == "dwin") return Rule::kWindow;
  if (c == "smean" || c == "dmean") return Rule::kMean;
  return Rule::kExact;
}

// Losses are exact, except on captured real traffic where issue 18 allows +-1.
bool equal(const std::string& c, double argus, double ours, bool real) {
  if (real && (c == "sloss" || c == "dloss")) return std::fabs(argus - ours) <= 1;
  switch (rule_of(c)) {
    case Rule::kTime:  // ra prints 6 decimals
      return std::fabs(argus - ours) <= std::max(1.0000001e-6, 1e-5 * std::fabs(argus));
    case Rule::kRelative:  // 6 printed decimals, then 1e-4 relative
      return std::fabs(argus - ours) <= std::max(1.0000001e-6, 1e-4 * std::fabs(argus));
    case Rule::kWindow:  // UNSW-NB15 writes 255 for a direction that advertised a window
      return (argus > 0 ? 255 : 0) == ours;
    case Rule::kMean:
      return std::round(argus) == ours;
    case Rule::kExact:
      return argus == ours;
  }
  return false;
}

struct Tally {
  size_t argus = 0, ours = 0, matched = 0, init_records = 0;
  std::map<std::string, size_t> equal;
  std::vector<std::string> examples;
};

void compare(const std::string& name, const std::map<std::string, Row>& a,
             const std::map<std::string, Row>& b, bool real, Tally& t) {
  t.argus += a.size();
  t.ours += b.size();
  for (const auto& [key, ar] : a) {
    auto it = b.find(key);
    if (it == b.end()) {
      if (t.examples.size() < 20) t.examples.push_back(name + ": unmatched argus " + key);
      continue;
    }
    ++t.matched;
    const Row& br = it->second;
    if (ar.state == br.state)
      ++t.equal["state"];
    else if (t.examples.size() < 20)
      t.examples.push_back(fmt::format("{}: {} state {} vs {}", name, key, ar.state, br.state));
    // A one-packet TCP record is Argus's TCP_INIT record, which carries no window: ra prints
    // whatever its previous record left in the buffer (0, 257, ...), so windows are not compared.
    const bool init_record = key.starts_with("tcp|") && ar.v.at("spkts") + ar.v.at("dpkts") == 1;
    if (init_record) ++t.init_records;
    for (const auto& c : kNumCols) {
      if ((init_record && rule_of(c) == Rule::kWindow) || equal(c, ar.v.at(c), br.v.at(c), real)) {
        ++t.equal[c];
      } else if (t.examples.size() < 20) {
        t.examples.push_back(
            fmt::format("{}: {} {} argus {} ours {}", name, key, c, ar.v.at(c), br.v.at(c)));
      }
    }
  }
}

TEST(ArgusCompareTest, MeterMatchesArgusFieldByField) {
  if (!have("argus") || !have("ra")) GTEST_SKIP() << "argus/ra not installed (scripts/bootstrap)";
  char tmpl[] = "/tmp/argus_compare_XXXXXX";
  const std::string work = mkdtemp(tmpl);
  std::vector<std::string> pcaps;
  for (const auto& [name, frames] : meter::testing::all_scenarios()) {
    pcaps.push_back(work + "/" + name + ".pcap");
    ASSERT_TRUE(meter::testing::write_pcap(pcaps.back(), frames));
  }
  const size_t first_real = pcaps.size();  // from here on: captured real traffic
  for (const auto& e :
       fs::directory_iterator(std::string(FLOWSENTRY_SOURCE_DIR) + "/src/meter/tests/data")) {
    if (e.path().extension() == ".pcap") pcaps.push_back(e.path().string());
  }
  const std::string corpus = std::string(FLOWSENTRY_SOURCE_DIR) + "/src/cli/tests/data/corpus";
  if (fs::is_directory(corpus)) {
    for (const auto& e : fs::directory_iterator(corpus)) {
      if (e.path().extension() == ".pcap") pcaps.push_back(e.path().string());
    }
  }
  Tally total, real_total;
  for (size_t i = 0; i < pcaps.size(); ++i) {
    const std::string& pcap = pcaps[i];
    const std::string name = fs::path(pcap).stem().string();
    const bool real = i >= first_real;
    const auto argus = argus_rows(pcap, work);
    const auto ours = meter_rows(pcap);
    Tally t;
    compare(name, argus, ours, real, t);
    compare(name, argus, ours, real, total);
    if (real) compare(name, argus, ours, real, real_total);
    // Each capture on its own: >= 99 % of Argus's records matched one to one.
    EXPECT_GE(t.matched, std::ceil(0.99 * t.argus)) << name;
    // Crafted captures: exactly Argus's records. Real ones: issue 18's 99 % one to one (nmap's
    // two DNS probes from one port are two Argus records 177 us apart in scan-udp, one of ours).
    if (real) {
      EXPECT_LE(t.ours - t.matched, t.argus - std::ceil(0.99 * t.argus)) << name;
    } else {
      EXPECT_EQ(t.ours, t.argus) << name;
    }
  }
  std::string report = fmt::format(
      "Argus comparison on {} captures: argus records {}, meter records {}, matched {} "
      "({:.2f} %)\n",
      pcaps.size(), total.argus, total.ours, total.matched,
      total.argus ? 100.0 * total.matched / total.argus : 0);
  std::vector<std::string> fields = {"state"};
  fields.insert(fields.end(), kNumCols.begin(), kNumCols.end());
  for (const auto& f : fields) {
    const double rate = total.matched ? 100.0 * total.equal[f] / total.matched : 0;
    report += fmt::format("  {:<7} {:>4}/{} {:7.2f} %\n", f, total.equal[f], total.matched, rate);
    // Counts, bytes, TTLs, state, ISNs, means, windows (mapped), times and rates: >= 99.5 %.
    EXPECT_GE(total.equal[f], std::ceil(0.995 * total.matched)) << f;
  }
  report += fmt::format(
      "Real captures only ({} from {}): argus {}, meter {}, matched {}, one-packet TCP records "
      "(windows not compared) {}\n",
      pcaps.size() - first_real, fs::path(pcaps[first_real]).stem().string(), real_total.argus,
      real_total.ours, real_total.matched, real_total.init_records);
  for (const auto& f : fields) {
    const double rate = real_total.matched ? 100.0 * real_total.equal[f] / real_total.matched : 0;
    report += fmt::format("  {:<7} {:>4}/{} {:7.2f} %\n", f, real_total.equal[f],
                          real_total.matched, rate);
    EXPECT_GE(real_total.equal[f], std::ceil(0.995 * real_total.matched)) << "real " << f;
  }
  for (const auto& e : total.examples) report += "  mismatch: " + e + "\n";
  std::printf("%s", report.c_str());
  run("rm -rf '" + work + "'");
}

}  // namespace
}  // namespace flowsentry::stream
