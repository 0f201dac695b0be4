// syslog outputs against a real receiver: Debian's syslog-ng on 127.0.0.1 (UDP, TCP with
// octet counting, TLS with a throwaway certificate made by `openssl req`) parses each message
// with its own RFC 5424 parser (the syslog() source) and its csv-parser/kv-parser for CEF, and
// writes the parsed fields as JSON ($(format-json)). Labelled fixture; skipped without syslog-ng.
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "siem/outputs.h"
#include "siem/tests/samples.h"

extern char** environ;

namespace flowsentry::siem {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

int free_port(int type) {
  int fd = socket(AF_INET, type, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

// syslog-ng 3.38 in Debian has no cef-parser(); this is upstream's recipe from syslog-ng's
// own parsers: csv-parser on '|' for the header (greedy: the rest is the extension), then
// kv-parser for the extension's key=value pairs. Neither undoes CEF's escapes (`\|`, `\=`),
// so escaping is checked by the unit tests (cef_test.cc), and the messages here carry none.
constexpr const char* kConfig = R"(@version: 3.38
options {{ keep-hostname(yes); stats-freq(0); }};
parser p_cef {{
  csv-parser(columns(".cef.version", ".cef.device_vendor", ".cef.device_product",
                     ".cef.device_version", ".cef.signature_id", ".cef.name", ".cef.severity",
                     ".cef.extensions")
             delimiters(chars("|")) quote-pairs('') dialect(escape-backslash) flags(greedy)
             template("${{MESSAGE}}"));
  kv-parser(prefix(".cef.ext.") template("${{.cef.extensions}}"));
}};
template t_json {{ template("$(format-json --scope rfc5424 --key .cef.*)\n"); }};
source s_udp {{ syslog(ip("127.0.0.1") port({udp}) transport("udp")); }};
source s_tcp {{ syslog(ip("127.0.0.1") port({tcp}) transport("tcp")); }};
source s_tls {{ syslog(ip("127.0.0.1") port({tls}) transport("tls")
  tls(key-file("{dir}/key.pem") cert-file("{dir}/cert.pem") peer-verify(optional-untrusted))); }};
log {{ source(s_udp); parser(p_cef); destination {{ file("{dir}/udp.jsonl" template(t_json)); }}; }};
log {{ source(s_tcp); parser(p_cef); destination {{ file("{dir}/tcp.jsonl" template(t_json)); }}; }};
log {{ source(s_tls); parser(p_cef); destination {{ file("{dir}/tls.jsonl" template(t_json)); }}; }};
)";

class SyslogReceiverTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (system("command -v syslog-ng >/dev/null 2>&1 && command -v openssl >/dev/null") != 0) {
      return;
    }
    dir_ = fs::temp_directory_path() / fmt::format("siem_syslog_{}", getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    const auto cert = fmt::format(
        "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost "
        "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout {0}/key.pem -out {0}/cert.pem "
        ">/dev/null 2>&1",
        dir_.string());
    if (system(cert.c_str()) != 0) return;
    udp_ = free_port(SOCK_DGRAM);
    tcp_ = free_port(SOCK_STREAM);
    tls_ = free_port(SOCK_STREAM);
    std::ofstream(dir_ / "syslog-ng.conf")
        << fmt::format(kConfig, fmt::arg("udp", udp_), fmt::arg("tcp", tcp_), fmt::arg("tls", tls_),
                       fmt::arg("dir", dir_.string()));
    start();
  }

  static void start() {
    const std::string conf = (dir_ / "syslog-ng.conf").string();
    const std::string persist = (dir_ / "persist").string();
    const std::string pidf = (dir_ / "pid").string();
    const std::string ctl = (dir_ / "ctl").string();
    const std::string log = (dir_ / "syslog-ng.log").string();
    std::vector<std::string> args = {"syslog-ng", "-F", "-f", conf, "-R",       persist,
                                     "-p",        pidf, "-c", ctl,  "--no-caps"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    if (posix_spawnp(&pid_, "syslog-ng", &fa, nullptr, argv.data(), environ) != 0) pid_ = 0;
    posix_spawn_file_actions_destroy(&fa);
    // Started once both stream ports accept (UDP has nothing to probe; it opens with them).
    for (int i = 0; i < 100 && pid_ > 0 && !(accepts(tcp_) && accepts(tls_)); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ready_ = pid_ > 0 && accepts(tcp_);
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  void SetUp() override {
    if (!ready_) GTEST_SKIP() << "syslog-ng (syslog-ng-core) or openssl not available";
  }

  // Sends one alert and one anomalous verdict through a syslog output, then waits for the
  // receiver to write `want` parsed lines.
  std::vector<json> send_and_receive(const std::string& spec, const std::string& file,
                                     size_t want = 2) {
    OutputDefaults d;
    d.hostname = "sensor1";
    auto outputs = Outputs::create(spec, d);
    EXPECT_TRUE(outputs.ok()) << outputs.error().to_string();
    if (!outputs.ok()) return {};
    (*outputs)->alert(testing::behaviour_alert());
    (*outputs)->observe(std::vector<model::ScoredFlow>{testing::anomaly_with_hosts()});
    EXPECT_TRUE((*outputs)->flush(std::chrono::seconds(10)));
    EXPECT_EQ((*outputs)->outputs()[0]->stats().sent, 2u);
    std::vector<json> got;
    for (int i = 0; i < 100 && got.size() < want; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      got.clear();
      std::ifstream in(dir_ / file);
      for (std::string l; std::getline(in, l);) got.push_back(json::parse(l));
    }
    EXPECT_EQ(got.size(), want) << "receiver log: " << (dir_ / "syslog-ng.log");
    return got;
  }

  static void expect_alert_fields(const json& m) {
    EXPECT_EQ(m["PROGRAM"], "flowsentry");
    EXPECT_EQ(m["MSGID"], "port_scan");
    EXPECT_EQ(m["HOST"], "sensor1");
    EXPECT_EQ(m["FACILITY"], "local0");
    EXPECT_EQ(m["PRIORITY"], "crit");
    const auto& cef = m["_cef"];
    EXPECT_EQ(cef["version"], "CEF:0");
    EXPECT_EQ(cef["device_vendor"], "flowsentry");
    EXPECT_EQ(cef["signature_id"], "port_scan");
    EXPECT_EQ(cef["name"], "10.0.0.5 -> 6 hosts, 412 ports in 60 s");
    EXPECT_EQ(cef["severity"], "10");
    EXPECT_EQ(cef["ext"]["src"], "10.0.0.5");
    EXPECT_EQ(cef["ext"]["dst"], "10.0.0.9");
    EXPECT_EQ(cef["ext"]["dpt"], "443");
    // syslog-ng's kv-parser also ends a value at ", " (its default pair separator), so the
    // receiver keeps the summary up to its first comma; the header's name has all of it.
    EXPECT_EQ(cef["ext"]["msg"], "10.0.0.5 -> 6 hosts");
    EXPECT_EQ(cef["ext"]["rt"], "1764745300500");
  }

  static void expect_verdict_fields(const json& m) {
    EXPECT_EQ(m["MSGID"], "anomaly");
    EXPECT_EQ(m["PRIORITY"], "warning");
    const auto& ext = m["_cef"]["ext"];
    EXPECT_EQ(ext["src"], "10.0.0.5");
    EXPECT_EQ(ext["spt"], "51515");
    EXPECT_EQ(ext["dst"], "192.168.1.20");
    EXPECT_EQ(ext["dpt"], "80");
    EXPECT_EQ(ext["proto"], "tcp");
  }

  static inline fs::path dir_;
  static inline pid_t pid_ = 0;
  static inline int udp_ = 0, tcp_ = 0, tls_ = 0;
  static inline bool ready_ = false;
};

TEST_F(SyslogReceiverTest, UdpCefMessagesParseAsRfc5424AndCef) {
  auto got =
      send_and_receive(fmt::format("syslog udp://127.0.0.1:{} filter=all", udp_), "udp.jsonl");
  if (got.size() != 2) return;
  expect_alert_fields(got[0]);
  expect_verdict_fields(got[1]);
}

TEST_F(SyslogReceiverTest, TcpOctetCountedCefMessagesParseAsRfc5424AndCef) {
  auto got =
      send_and_receive(fmt::format("syslog tcp://127.0.0.1:{} filter=all", tcp_), "tcp.jsonl");
  if (got.size() != 2) return;
  expect_alert_fields(got[0]);
  expect_verdict_fields(got[1]);
}

TEST_F(SyslogReceiverTest, TlsWithAVerifiedThrowawayCertificateDelivers) {
  auto got = send_and_receive(
      fmt::format("syslog tls://127.0.0.1:{} filter=all ca={}", tls_, (dir_ / "cert.pem").string()),
      "tls.jsonl");
  if (got.size() != 2) return;
  expect_alert_fields(got[0]);
  expect_verdict_fields(got[1]);
}

TEST_F(SyslogReceiverTest, JsonPayloadIsAnEcsDocumentInTheMessage) {
  const auto before = [&] {
    std::ifstream in(dir_ / "tcp.jsonl");
    size_t n = 0;
    for (std::string l; std::getline(in, l);) ++n;
    return n;
  }();
  auto got = send_and_receive(fmt::format("syslog tcp://127.0.0.1:{} filter=all format=json", tcp_),
                              "tcp.jsonl", before + 2);
  if (got.size() != before + 2) return;
  const auto alert = json::parse(got[before]["MESSAGE"].get<std::string>());
  EXPECT_EQ(alert["event"]["kind"], "alert");
  EXPECT_EQ(alert["rule"]["name"], "port_scan");
  const auto verdict = json::parse(got[before + 1]["MESSAGE"].get<std::string>());
  EXPECT_EQ(verdict["destination"]["port"], 80);
}

TEST_F(SyslogReceiverTest, TlsRefusesAServerItCannotVerify) {
  OutputDefaults d;
  d.max_attempts = 1;
  auto outputs = Outputs::create(fmt::format("syslog tls://127.0.0.1:{} filter=alerts", tls_), d);
  ASSERT_TRUE(outputs.ok());
  (*outputs)->alert(testing::behaviour_alert());  // system CAs do not know the throwaway cert
  ASSERT_TRUE((*outputs)->flush(std::chrono::seconds(10)));
  EXPECT_EQ((*outputs)->outputs()[0]->stats().sent, 0u);
  EXPECT_EQ((*outputs)->outputs()[0]->stats().dropped, 1u);
}

}  // namespace
}  // namespace flowsentry::siem
