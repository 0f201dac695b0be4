#include "flow/profile.h"

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "flow/reader.h"
#include "flow/tests/fixtures.h"

namespace flowsentry::flow {
namespace {

const Profile& profile(std::string_view name) {
  const Profile* p = profile_by_name(name);
  EXPECT_NE(p, nullptr) << name;
  return p ? *p : full_profile();
}

std::vector<std::string> names_of(FieldSet s) {
  std::vector<std::string> out;
  for (auto n : s.names()) out.emplace_back(n);
  return out;
}

TEST(ProfileTest, FullHasEveryFieldAndComesFirst) {
  EXPECT_EQ(&full_profile(), &kProfiles[0]);
  EXPECT_EQ(full_profile().name, "full");
  EXPECT_EQ(full_profile().fields.size(), kFieldCount);
  EXPECT_EQ(kFieldCount, 42u);
}

TEST(ProfileTest, PortableLeavesOutExactlyTheTestbedFields) {
  const auto left_out = full_profile().fields.without(profile("portable").fields);
  EXPECT_EQ(names_of(left_out),
            (std::vector<std::string>{"sttl", "dttl", "sjit", "djit", "swin", "stcpb", "dtcpb",
                                      "dwin", "ct_state_ttl"}));
}

TEST(ProfileTest, NetflowHasWhatAFlowExportGives) {
  EXPECT_EQ(names_of(profile("netflow").fields), (std::vector<std::string>{"dur",
                                                                           "spkts",
                                                                           "dpkts",
                                                                           "sbytes",
                                                                           "dbytes",
                                                                           "rate",
                                                                           "sload",
                                                                           "dload",
                                                                           "smean",
                                                                           "dmean",
                                                                           "ct_srv_src",
                                                                           "ct_dst_ltm",
                                                                           "ct_src_dport_ltm",
                                                                           "ct_dst_sport_ltm",
                                                                           "ct_dst_src_ltm",
                                                                           "ct_src_ltm",
                                                                           "ct_srv_dst",
                                                                           "is_sm_ips_ports",
                                                                           "proto",
                                                                           "service",
                                                                           "state"}));
}

TEST(ProfileTest, ConnIsNetflowPlusTheHttpAndFtpLogs) {
  const auto extra = profile("conn").fields.without(profile("netflow").fields);
  EXPECT_EQ(names_of(extra),
            (std::vector<std::string>{"trans_depth", "response_body_len", "is_ftp_login",
                                      "ct_ftp_cmd", "ct_flw_http_mthd"}));
}

TEST(ProfileTest, ProfilesNestFromFullDownToNetflow) {
  EXPECT_TRUE(full_profile().fields.covers(profile("portable").fields));
  EXPECT_TRUE(profile("portable").fields.covers(profile("conn").fields));
  EXPECT_TRUE(profile("conn").fields.covers(profile("netflow").fields));
  EXPECT_FALSE(profile("netflow").fields.covers(profile("conn").fields));
}

TEST(ProfileTest, NoProfileButFullUsesATestbedField) {
  for (const auto& p : kProfiles) {
    if (p.name == "full") continue;
    for (auto f : {kSttl, kDttl, kCtStateTtl}) EXPECT_FALSE(p.fields.has(f)) << p.name;
  }
}

TEST(ProfileTest, EveryProfileHasADocAndAUniqueName) {
  for (size_t i = 0; i < kProfiles.size(); ++i) {
    EXPECT_FALSE(kProfiles[i].doc.empty());
    EXPECT_EQ(profile_by_name(kProfiles[i].name), &kProfiles[i]);
  }
  EXPECT_EQ(profile_by_name("nope"), nullptr);
  EXPECT_EQ(profile_names(), "full, portable, netflow, conn");
}

TEST(ProfileTest, FieldNamesRoundTrip) {
  for (size_t f = 0; f < kFieldCount; ++f) EXPECT_EQ(field_by_name(field_name(f)), f);
  EXPECT_EQ(field_by_name("proto"), kProtoField);
  EXPECT_EQ(field_by_name("state"), kStateField);
  EXPECT_EQ(field_by_name("nope"), kFieldCount);
  EXPECT_TRUE(field_name(kFieldCount).empty());
}

TEST(ProfileTest, ASourceFillingTheModelsFieldsIsAccepted) {
  for (const auto& p : kProfiles) {
    EXPECT_TRUE(check_source_fills(p, full_profile(), "file a.csv").ok()) << p.name;
    EXPECT_TRUE(check_source_fills(p, p, "file a.csv").ok()) << p.name;
  }
  EXPECT_TRUE(check_source_fills(profile("netflow"), profile("conn"), "conn.log").ok());
}

TEST(ProfileTest, AModelNeedingFieldsTheSourceLacksIsRefusedNamingThem) {
  auto st = check_source_fills(full_profile(), profile("netflow"), "ipfix://0.0.0.0:4739");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kIncompatible);
  const auto& m = st.error().message;
  for (const char* f : {"sttl", "dttl", "ct_state_ttl", "swin", "tcprtt", "sinpkt", "sloss",
                        "trans_depth", "ct_flw_http_mthd", "ct_ftp_cmd"}) {
    EXPECT_NE(m.find(f), std::string::npos) << f << " in: " << m;
  }
  EXPECT_EQ(m.find("sbytes"), std::string::npos) << m;
  EXPECT_NE(m.find("ipfix://0.0.0.0:4739"), std::string::npos) << m;
  EXPECT_NE(m.find("a model of profile netflow"), std::string::npos) << m;
}

TEST(ProfileTest, AConnModelOnANetflowSourceNamesOnlyTheHttpFtpFields) {
  auto st = check_source_fills(profile("conn"), profile("netflow"), "conn.log");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find(
                "5 features that conn.log does not fill (it fills profile 'netflow'): "
                "trans_depth, response_body_len, is_ftp_login, ct_ftp_cmd, ct_flw_http_mthd"),
            std::string::npos)
      << st.error().message;
}

TEST(ProfileTest, CsvFilesFillTheFullProfile) {
  auto path = (std::filesystem::temp_directory_path() / "fs_profile.csv").string();
  std::ofstream(path, std::ios::binary) << testing::kHeader + "\n" + testing::kRowUdp + "\n";
  auto r = open_flow_file(path);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(&(*r)->profile(), &full_profile());
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace flowsentry::flow
