// The collector against real exporters: softflowd replays committed captures as NetFlow v5,
// v9 and IPFIX, once to `flowsentry collect` and once to nfcapd; nfdump is the reference.
// One-way records (nfdump without -B) must match exactly in packets and bytes; our biflow
// pairing must match nfdump -B's bidirectional aggregation for TCP and UDP. Skips when
// softflowd or nfdump (Debian packages) are missing.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <thread>

#include "cli/tests/process.h"

namespace flowsentry::testing {
namespace {

namespace fs = std::filesystem;
const std::string kCorpus = std::string(FLOWSENTRY_SOURCE_DIR) + "/src/cli/tests/data/corpus/";

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string f;
  while (std::getline(ss, f, sep)) {
    f.erase(0, f.find_first_not_of(' '));
    f.erase(f.find_last_not_of(' ') + 1);
    out.push_back(f);
  }
  return out;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// One flow as "srcip sport dstip dsport proto" -> "pkts bytes" (one-way) or, for a biflow,
// the lower endpoint first with what each endpoint sent.
using Flows = std::multimap<std::string, std::string>;

void add_flow(Flows& flows, const std::string& sa, const std::string& sp, const std::string& da,
              const std::string& dp, const std::string& proto, const std::string& spkts,
              const std::string& sbytes, const std::string& dpkts, const std::string& dbytes,
              bool biflow) {
  if (!biflow) {
    flows.emplace(sa + " " + sp + " " + da + " " + dp + " " + proto, spkts + " " + sbytes);
    return;
  }
  const std::string a = sa + ":" + sp, b = da + ":" + dp;
  if (a < b) {
    flows.emplace(a + " " + b + " " + proto, spkts + " " + sbytes + " / " + dpkts + " " + dbytes);
  } else {
    flows.emplace(b + " " + a + " " + proto, dpkts + " " + dbytes + " / " + spkts + " " + sbytes);
  }
}

Flows read_collect_csv(const std::string& path, bool biflow) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  auto header = split(line, ',');
  auto col = [&](const char* name) {
    return static_cast<size_t>(std::find(header.begin(), header.end(), name) - header.begin());
  };
  const size_t sa = col("srcip"), sp = col("sport"), da = col("dstip"), dp = col("dsport"),
               pr = col("proto"), spk = col("spkts"), sby = col("sbytes"), dpk = col("dpkts"),
               dby = col("dbytes");
  Flows flows;
  while (std::getline(in, line)) {
    auto f = split(line, ',');
    if (f.size() < header.size()) continue;
    if (biflow && f[pr] != "tcp" && f[pr] != "udp") continue;
    add_flow(flows, f[sa], f[sp], f[da], f[dp], f[pr], f[spk], f[sby], f[dpk], f[dby], biflow);
  }
  return flows;
}

Flows read_nfdump(const std::string& dir, bool biflow) {
  const std::string fmt = biflow ? "fmt:%sa,%sp,%da,%dp,%pr,%ipkt,%ibyt,%opkt,%obyt"
                                 : "fmt:%sa,%sp,%da,%dp,%pr,%pkt,%byt";
  auto r = shell_run("nfdump -q -R " + dir + (biflow ? " -B" : "") + " -o '" + fmt + "'");
  Flows flows;
  std::stringstream ss(r.out);
  std::string line;
  while (std::getline(ss, line)) {
    auto f = split(line, ',');
    if (f.size() < 7) continue;
    std::string proto = lower(f[4]), sp = f[1], dp = f[3];
    if (biflow && proto != "tcp" && proto != "udp") continue;
    if (proto == "icmp") {  // nfdump prints type.code as the destination port
      auto dot = dp.find('.');
      sp = dp.substr(0, dot);
      dp = dot == std::string::npos ? "0" : dp.substr(dot + 1);
    }
    if (biflow) {
      add_flow(flows, f[0], sp, f[2], dp, proto, f[5], f[6], f[7], f[8], true);
    } else {
      add_flow(flows, f[0], sp, f[2], dp, proto, f[5], f[6], "", "", false);
    }
  }
  return flows;
}

size_t matched(const Flows& ours, const Flows& ref) {
  Flows left = ours;
  size_t n = 0;
  for (const auto& [k, v] : ref) {
    auto [lo, hi] = left.equal_range(k);
    for (auto it = lo; it != hi; ++it) {
      if (it->second == v) {
        left.erase(it);
        ++n;
        break;
      }
    }
  }
  return n;
}

std::string first_missing(const Flows& ours, const Flows& ref) {
  for (const auto& [k, v] : ref) {
    bool found = false;
    auto [lo, hi] = ours.equal_range(k);
    for (auto it = lo; it != hi; ++it) found |= it->second == v;
    if (!found) {
      std::string have;
      for (auto it = lo; it != hi; ++it) have += "[" + it->second + "] ";
      return k + " want " + v + " have " + have;
    }
  }
  return "";
}

class CollectExportersTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    if (shell_run("command -v softflowd && command -v nfcapd && command -v nfdump").code != 0) {
      GTEST_SKIP() << "softflowd / nfdump not installed (scripts/bootstrap installs them)";
    }
    dir_ = fs::temp_directory_path() /
           ("flowsentry-collect-" + std::to_string(getpid()) + "-" + std::to_string(GetParam()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "nf");
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // softflowd reads the capture and exports every flow at its end (-d: foreground; no -c
  // after -r, it hangs; -A milli or v9 times are wrong).
  void replay(const std::string& pcap, int port) {
    auto r = shell_run("softflowd -d -p " + (dir_ / "sf.pid").string() + " -r " + pcap +
                       " -n 127.0.0.1:" + std::to_string(port) + " -v " +
                       std::to_string(GetParam()) + " -A milli > /dev/null 2>&1");
    ASSERT_EQ(r.code, 0) << "softflowd failed on " << pcap;
  }

  // Runs collect with `args`, replays the captures to it, stops it; returns the CSV path.
  std::string collect(const std::vector<std::string>& pcaps, const std::string& name,
                      std::vector<std::string> args) {
    const std::string out = (dir_ / (name + ".csv")).string();
    std::vector<std::string> argv{FLOWSENTRY_BINARY, "collect", "--listen",
                                  "127.0.0.1:0",     "--out",   out};
    argv.insert(argv.end(), args.begin(), args.end());
    Process p(argv, (dir_ / (name + ".log")).string());
    int port = 0;
    const std::regex listening("listening on 127\\.0\\.0\\.1:(\\d+)");
    for (int i = 0; i < 200 && port == 0; ++i) {
      std::smatch m;
      auto log = p.log();
      if (std::regex_search(log, m, listening)) port = std::stoi(m[1]);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_NE(port, 0) << p.log_tail();
    for (const auto& pcap : pcaps) replay(pcap, port);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.kill(SIGINT);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0) << p.log_tail();
    log_ = p.log();
    return out;
  }

  void nfcapd(const std::vector<std::string>& pcaps) {
    const int port = 20000 + getpid() % 20000 + GetParam();
    Process p({"/usr/bin/nfcapd", "-b", "127.0.0.1", "-p", std::to_string(port), "-w",
               (dir_ / "nf").string(), "-t", "3600"},
              (dir_ / "nfcapd.log").string());
    for (int i = 0; i < 100; ++i) {
      if (shell_run("ss -Hlun 'sport = :" + std::to_string(port) + "' | grep -q .").code == 0) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    for (const auto& pcap : pcaps) replay(pcap, port);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.kill(SIGTERM);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0) << p.log_tail();
  }

  fs::path dir_;
  std::string log_;
};

TEST_P(CollectExportersTest, OneWayRecordsAndBiflowsMatchNfdump) {
  const std::vector<std::string> pcaps{kCorpus + "normal-office.pcap", kCorpus + "scan-syn.pcap",
                                       kCorpus + "beacon-http.pcap"};
  nfcapd(pcaps);
  auto one_way = read_collect_csv(
      collect(pcaps, "one-way", {"--biflow-window", "0", "--link-bytes", "0"}), false);
  EXPECT_NE(log_.find("0 decode errors, 0 records lost"), std::string::npos) << log_;
  auto ref = read_nfdump((dir_ / "nf").string(), false);
  ASSERT_GT(ref.size(), 100u);
  EXPECT_EQ(one_way.size(), ref.size());
  EXPECT_EQ(matched(one_way, ref), ref.size()) << first_missing(one_way, ref);

  auto biflows = read_collect_csv(
      collect(pcaps, "biflow", {"--biflow-window", "5", "--link-bytes", "0"}), true);
  auto ref_b = read_nfdump((dir_ / "nf").string(), true);
  ASSERT_GT(ref_b.size(), 50u);
  EXPECT_EQ(biflows.size(), ref_b.size());
  EXPECT_EQ(matched(biflows, ref_b), ref_b.size()) << first_missing(biflows, ref_b);
  std::cout << "v" << GetParam() << ": " << ref.size() << " one-way records, " << ref_b.size()
            << " TCP/UDP biflows matched nfdump\n";
}

INSTANTIATE_TEST_SUITE_P(Versions, CollectExportersTest, ::testing::Values(5, 9, 10),
                         [](const auto& p) { return "v" + std::to_string(p.param); });

}  // namespace
}  // namespace flowsentry::testing
