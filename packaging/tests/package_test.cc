// `make package`'s .deb, built once with cpack into a scratch folder and installed there with
// dpkg -x (no root, no dpkg database): what a user gets is checked, not the build tree.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "common/testing/shell.h"
#include "common/version.h"

namespace flowsentry {
namespace {

namespace fs = std::filesystem;
using testing::shell_run;

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class PackageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    char tmpl[] = "/tmp/flowsentry-package-XXXXXX";
    scratch_ = mkdtemp(tmpl);
    root_ = scratch_ / "root";
    const std::string build = FLOWSENTRY_BUILD_DIR;
    auto cpack =
        shell_run("cd '" + build + "' && cpack -G DEB -B '" + scratch_.string() + "/out' 2>&1");
    ASSERT_EQ(cpack.code, 0) << cpack.out;
    arch_ = shell_run("dpkg --print-architecture", true).out;
    deb_ = scratch_ / "out" / (std::string("flowsentry_") + kVersion + "_" + arch_ + ".deb");
    ASSERT_TRUE(fs::exists(deb_)) << "no " << deb_ << " after cpack:\n" << cpack.out;
    auto x = shell_run("dpkg -x '" + deb_.string() + "' '" + root_.string() + "' 2>&1");
    ASSERT_EQ(x.code, 0) << x.out;
  }

  static void TearDownTestSuite() {
    if (!scratch_.empty() && !std::getenv("FLOWSENTRY_KEEP_PACKAGE")) fs::remove_all(scratch_);
  }

  void SetUp() override {
    if (deb_.empty() || !fs::exists(root_)) GTEST_SKIP() << "the package was not built";
  }

  static std::string info(const std::string& what = "") {
    return shell_run("dpkg-deb -I '" + deb_.string() + "' " + what + " 2>&1").out;
  }

  static inline fs::path scratch_, root_, deb_;
  static inline std::string arch_;
};

TEST_F(PackageTest, InstalledBinaryPrintsTheProjectVersion) {
  auto v = shell_run("'" + (root_ / "usr/bin/flowsentry").string() + "' --version", true);
  EXPECT_EQ(v.code, 0);
  EXPECT_EQ(v.out, std::string("flowsentry ") + kVersion);
}

TEST_F(PackageTest, MetadataNamesVersionArchitectureAndComputedDependencies) {
  const auto control = info();
  EXPECT_NE(control.find(" Package: flowsentry\n"), std::string::npos) << control;
  EXPECT_NE(control.find(std::string(" Version: ") + kVersion + "\n"), std::string::npos);
  EXPECT_NE(control.find(" Architecture: " + arch_ + "\n"), std::string::npos);
  // dpkg-shlibdeps computed them from the binary's shared libraries.
  std::smatch depends;
  ASSERT_TRUE(std::regex_search(control, depends, std::regex(" Depends: ([^\n]*)"))) << control;
  for (const char* lib : {"libc6", "libxgboost0", "librdkafka1", "libpq5", "libmicrohttpd12"}) {
    EXPECT_NE(depends[1].str().find(lib), std::string::npos) << lib << " in " << depends[1];
  }
}

TEST_F(PackageTest, ConfigurationIsTheOnlyConffileAndIsValid) {
  EXPECT_EQ(info("conffiles"), "/etc/flowsentry/flowsentry.toml\n");
  const auto conf = root_ / "etc/flowsentry/flowsentry.toml";
  ASSERT_TRUE(fs::exists(conf));
  // Every key in it, commented or not, is a setting the binary knows with a valid value.
  const auto uncommented = scratch_ / "all-settings.toml";
  std::ofstream(uncommented) << std::regex_replace(read_text(conf), std::regex("\n#(\\w+ = )"),
                                                   "\n$1");
  for (const auto& file : {conf, uncommented}) {
    auto check = shell_run("'" + (root_ / "usr/bin/flowsentry").string() + "' config --config '" +
                           file.string() + "' 2>&1");
    EXPECT_EQ(check.code, 0) << file << ":\n" << check.out;
  }
  // The settings the package uncomments point into the package.
  EXPECT_NE(read_text(conf).find("\npath = \"/usr/share/flowsentry/models/default\"\n"),
            std::string::npos);
  EXPECT_TRUE(fs::exists(root_ / "usr/share/flowsentry/models/default/meta.json"));
}

// Each shipped model loads in the shipped binary and scores a capture (the default model's and
// the profile models' metadata match the binary that reads them).
TEST_F(PackageTest, ShippedBinaryScoresWithEveryShippedModel) {
  for (const char* model : {"default", "portable", "netflow", "conn"}) {
    auto scored =
        shell_run("'" + (root_ / "usr/bin/flowsentry").string() + "' score --model '" +
                  (root_ / "usr/share/flowsentry/models" / model).string() +
                  "' --data " FLOWSENTRY_SOURCE_DIR "/src/meter/tests/data/loopback.pcap 2>&1");
    EXPECT_EQ(scored.code, 0) << model << ": " << scored.out;
    EXPECT_NE(scored.out.find("\"score\":"), std::string::npos) << model << ": " << scored.out;
  }
}

TEST_F(PackageTest, ShipsModelsManPageAndCompletion) {
  for (const char* model : {"default", "portable", "netflow", "conn"}) {
    for (const char* file : {"meta.json", "model_binary.ubj", "model_card.md"}) {
      EXPECT_TRUE(fs::exists(root_ / "usr/share/flowsentry/models" / model / file))
          << model << "/" << file;
    }
  }
  const auto man =
      shell_run("zcat '" + (root_ / "usr/share/man/man1/flowsentry.1.gz").string() + "'").out;
  EXPECT_NE(man.find(".TH FLOWSENTRY \"1\""), std::string::npos) << man.substr(0, 300);
  EXPECT_NE(man.find(".SS flowsentry db migrate"), std::string::npos);
  EXPECT_NE(man.find(kVersion), std::string::npos);
  // The completion offers subcommands at the top and a subcommand's flags after it.
  const auto completion = root_ / "usr/share/bash-completion/completions/flowsentry";
  auto words =
      shell_run("bash -c 'source \"" + completion.string() +
                    "\"; COMP_WORDS=(flowsentry db mi); COMP_CWORD=2; _flowsentry; "
                    "echo ${COMPREPLY[*]}; COMP_WORDS=(flowsentry score --ou); COMP_CWORD=2; "
                    "_flowsentry; echo ${COMPREPLY[*]}'",
                true);
  EXPECT_EQ(words.out, "migrate\n--out");
  EXPECT_TRUE(fs::exists(root_ / "usr/share/doc/flowsentry/copyright"));
}

// The unit as packaged, its ExecStart pointed at the extracted binary: systemd-analyze verify
// loads it as systemd would (unknown keys, bad values, a missing executable) and the offline
// security review scores its sandbox (0 = locked down, 10 = exposed; --threshold counts tenths).
TEST_F(PackageTest, SystemdUnitVerifiesAndIsHardened) {
  const auto unit_text = read_text(root_ / "lib/systemd/system/flowsentry.service");
  ASSERT_FALSE(unit_text.empty());
  for (const char* option :
       {"DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
        "NoNewPrivileges=yes", "\nCapabilityBoundingSet=\n",
        "RestrictAddressFamilies=", "SystemCallFilter=@system-service", "StateDirectory=flowsentry",
        "ExecStart=/usr/bin/flowsentry run --config /etc/flowsentry/flowsentry.toml"}) {
    EXPECT_NE(unit_text.find(option), std::string::npos) << option;
  }
  fs::create_directories(scratch_ / "unit");
  const auto unit = scratch_ / "unit" / "flowsentry.service";
  std::ofstream(unit) << std::regex_replace(unit_text, std::regex("ExecStart=/usr/bin/flowsentry"),
                                            "ExecStart=" + (root_ / "usr/bin/flowsentry").string());
  if (shell_run("command -v systemd-analyze").code != 0) {
    GTEST_SKIP() << "systemd-analyze is not installed (scripts/bootstrap installs systemd)";
  }
  // --man=no: the man page is in the scratch root, not where man looks.
  auto verify = shell_run("systemd-analyze verify --man=no '" + unit.string() + "' 2>&1");
  EXPECT_EQ(verify.code, 0) << verify.out;
  EXPECT_EQ(verify.out, "") << "warnings are mistakes in the unit";
  auto security = shell_run("systemd-analyze security --offline=yes --threshold=20 '" +
                            unit.string() + "' 2>&1");
  EXPECT_EQ(security.code, 0) << security.out;
}

}  // namespace
}  // namespace flowsentry
