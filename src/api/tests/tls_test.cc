// HTTPS: a real TLS request (curl trusting a throwaway self-signed certificate made by openssl
// here), plain HTTP refused on the TLS port, and clear errors for bad certificate settings.
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "api/server.h"
#include "api/tls.h"
#include "common/testing/shell.h"

namespace flowsentry::api {
namespace {

namespace fs = std::filesystem;
using flowsentry::testing::shell_run;

// A scratch directory with cert.pem and key.pem for CN=localhost (also 127.0.0.1), and
// other.key.pem, a key that belongs to no certificate.
class TlsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string pattern = (fs::temp_directory_path() / "flowsentry-tls-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    const auto made = shell_run(fmt::format(
        "cd '{}' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
        "-days 2 -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
        "-keyout key.pem -out cert.pem 2>&1 && openssl genpkey -algorithm EC -pkeyopt "
        "ec_paramgen_curve:prime256v1 -out other.key.pem 2>&1",
        dir_.string()));
    made_ = made.code == 0;
    ASSERT_TRUE(made_ || made.code == 127) << made.out;
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  void SetUp() override {
    if (!made_) GTEST_SKIP() << "openssl is not installed (scripts/packages.txt)";
    if (shell_run("curl --version >/dev/null 2>&1").code != 0) {
      GTEST_SKIP() << "curl is not installed (scripts/packages.txt)";
    }
    if (!tls_supported()) GTEST_SKIP() << "this libmicrohttpd has no TLS";
  }

  static std::string file(const char* name) { return (dir_ / name).string(); }

  static ApiOptions tls_options(const std::string& cert, const std::string& key) {
    ApiOptions o;
    o.port = 0;
    o.loops = 1;
    o.tls_cert = cert;
    o.tls_key = key;
    return o;
  }

  static inline fs::path dir_;
  static inline bool made_ = false;
};

TEST_F(TlsTest, AnHttpsRequestTrustingTheCertificateIsAnswered) {
  ApiServer server(tls_options(file("cert.pem"), file("key.pem")), {});
  auto port = server.start();
  ASSERT_TRUE(port.ok()) << port.error().to_string();
  EXPECT_STREQ(server.scheme(), "https");
  const auto got = shell_run(
      fmt::format("curl -sS --max-time 10 --cacert '{}' https://localhost:{}/healthz 2>&1",
                  file("cert.pem"), *port));
  EXPECT_EQ(got.code, 0) << got.out;
  EXPECT_EQ(got.out, R"({"status":"ok"})");
}

TEST_F(TlsTest, AClientThatDoesNotTrustTheCertificateGetsNothing) {
  ApiServer server(tls_options(file("cert.pem"), file("key.pem")), {});
  auto port = server.start();
  ASSERT_TRUE(port.ok()) << port.error().to_string();
  const auto got =
      shell_run(fmt::format("curl -sS --max-time 10 https://localhost:{}/healthz 2>&1", *port));
  EXPECT_EQ(got.code, 60) << got.out;  // curl: peer certificate cannot be authenticated
}

TEST_F(TlsTest, PlainHttpToTheTlsPortFailsAndHttpsGoesOn) {
  ApiServer server(tls_options(file("cert.pem"), file("key.pem")), {});
  auto port = server.start();
  ASSERT_TRUE(port.ok()) << port.error().to_string();
  const auto plain =
      shell_run(fmt::format("curl -sS --max-time 10 -o /dev/null -w '%{{http_code}}' "
                            "http://127.0.0.1:{}/healthz 2>/dev/null",
                            *port));
  EXPECT_NE(plain.code, 0);
  EXPECT_NE(plain.out, "200");
  const auto tls =
      shell_run(fmt::format("curl -sS --max-time 10 --cacert '{}' -o /dev/null -w '%{{http_code}}' "
                            "https://127.0.0.1:{}/metrics 2>&1",
                            file("cert.pem"), *port));
  EXPECT_EQ(tls.code, 0) << tls.out;
  EXPECT_EQ(tls.out, "200");
}

TEST_F(TlsTest, PlainHttpStaysPlainWithoutCertificates) {
  ApiServer server(tls_options("", ""), {});
  auto port = server.start();
  ASSERT_TRUE(port.ok()) << port.error().to_string();
  EXPECT_STREQ(server.scheme(), "http");
  const auto got =
      shell_run(fmt::format("curl -sS --max-time 10 http://127.0.0.1:{}/healthz 2>&1", *port));
  EXPECT_EQ(got.out, R"({"status":"ok"})");
}

TEST_F(TlsTest, ACertificateWithoutAKeyIsAClearError) {
  for (auto [cert, key, missing] :
       {std::tuple{file("cert.pem"), std::string(), "api.tls_key is empty"},
        std::tuple{std::string(), file("key.pem"), "api.tls_cert is empty"}}) {
    ApiServer server(tls_options(cert, key), {});
    auto port = server.start();
    ASSERT_FALSE(port.ok());
    EXPECT_NE(port.error().message.find(missing), std::string::npos) << port.error().message;
  }
}

TEST_F(TlsTest, AKeyOfAnotherCertificateIsRefusedAtStart) {
  ApiServer server(tls_options(file("cert.pem"), file("other.key.pem")), {});
  auto port = server.start();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message.find("matching private key"), std::string::npos)
      << port.error().message;
}

TEST_F(TlsTest, AMissingFileIsNamed) {
  ApiServer server(tls_options(file("cert.pem"), file("absent.pem")), {});
  auto port = server.start();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message.find("cannot read api.tls_key"), std::string::npos);
  EXPECT_NE(port.error().message.find("absent.pem"), std::string::npos);
}

class TlsAdversarialTest : public TlsTest {};

// The key file's bytes never reach an error message (which the process logs and prints).
TEST_F(TlsAdversarialTest, AKeyFileThatIsNotPemIsRefusedWithoutQuotingIt) {
  const auto path = file("not-a-key.pem");
  std::ofstream(path) << "hunter2-do-not-print-me\n";
  ApiServer server(tls_options(file("cert.pem"), path), {});
  auto port = server.start();
  ASSERT_FALSE(port.ok());
  const auto message = port.error().to_string();
  EXPECT_NE(message.find("api.tls_key"), std::string::npos) << message;
  EXPECT_NE(message.find("not a PEM private key"), std::string::npos) << message;
  EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
}

// A certificate setting pointed at something huge (a device, a log) is not read whole.
TEST_F(TlsAdversarialTest, AFileOverOneMebibyteIsRefused) {
  const auto path = file("huge.pem");
  std::ofstream(path) << std::string(2 << 20, 'A');
  ApiServer server(tls_options(path, file("key.pem")), {});
  auto port = server.start();
  ASSERT_FALSE(port.ok());
  EXPECT_NE(port.error().message.find("larger than 1 MiB"), std::string::npos)
      << port.error().message;
}

}  // namespace
}  // namespace flowsentry::api
