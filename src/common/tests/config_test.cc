#include "common/config.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace flowsentry {
namespace {

TEST(ConfigTest, DefaultsComeFromTheTable) {
  Config c;
  EXPECT_EQ(c.get_int("store.retention_days"), 7);
  EXPECT_EQ(c.get_string("kafka.topic"), "flows");
  EXPECT_DOUBLE_EQ(c.get_double("detect.adwin_delta"), 0.002);
  EXPECT_FALSE(c.get_bool("alert.single_flow"));
  EXPECT_EQ(c.origin("kafka.topic"), "default");
}

TEST(ConfigTest, TomlOverridesDefaults) {
  Config c;
  ASSERT_TRUE(
      c.merge_toml_text("[store]\nretention_days = 30\n[detect]\nadwin_delta = 1e-2\n", "t.toml")
          .ok());
  EXPECT_EQ(c.get_int("store.retention_days"), 30);
  EXPECT_DOUBLE_EQ(c.get_double("detect.adwin_delta"), 0.01);
  EXPECT_EQ(c.origin("store.retention_days"), "t.toml");
}

TEST(ConfigTest, UnknownKeyNamesItAndSuggestsTheClosest) {
  Config c;
  auto st = c.merge_toml_text("[store]\nretention_dayz = 3\n", "t.toml");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("store.retention_dayz"), std::string::npos);
  EXPECT_NE(st.error().message.find("did you mean 'store.retention_days'"), std::string::npos);
  EXPECT_EQ(st.error().where, "t.toml:2");
}

TEST(ConfigTest, OutOfBoundsValueIsAnErrorNamingTheKey) {
  Config c;
  auto st = c.merge_toml_text("[api]\nport = 70000\n", "t.toml");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().to_string().find("api.port"), std::string::npos);
  EXPECT_NE(st.error().to_string().find("out of bounds"), std::string::npos);
}

TEST(ConfigTest, WrongTypeIsAnError) {
  Config c;
  EXPECT_FALSE(c.merge_toml_text("[api]\nport = \"eighty\"\n", "t.toml").ok());
  EXPECT_FALSE(c.set("api.port", "eighty").ok());
}

TEST(ConfigTest, ChoicesAreEnforced) {
  Config c;
  auto st = c.set("pipeline.role", "boss");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("worker|alerter|all"), std::string::npos);
  EXPECT_TRUE(c.set("pipeline.role", "worker").ok());
}

TEST(ConfigTest, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
  Config c;
  ASSERT_TRUE(c.merge_toml_text("[kafka]\ntopic = \"from-file\"\n", "t.toml").ok());
  std::map<std::string, std::string> env{{"FLOWSENTRY_KAFKA_TOPIC", "from-env"}};
  ASSERT_TRUE(c.merge_env([&](const char* k) -> const char* {
                 auto it = env.find(k);
                 return it == env.end() ? nullptr : it->second.c_str();
               }).ok());
  EXPECT_EQ(c.get_string("kafka.topic"), "from-env");
  EXPECT_EQ(c.origin("kafka.topic"), "env FLOWSENTRY_KAFKA_TOPIC");
  ASSERT_TRUE(c.set("kafka.topic", "from-flag").ok());
  EXPECT_EQ(c.get_string("kafka.topic"), "from-flag");
}

TEST(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  Config c;
  auto st = c.merge_env([](const char* k) -> const char* {
    return std::string(k) == "FLOWSENTRY_STORE_RETENTION_DAYS" ? "0" : nullptr;
  });
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().to_string().find("FLOWSENTRY_STORE_RETENTION_DAYS"), std::string::npos);
}

TEST(ConfigTest, DefaultTomlParsesBackToTheDefaults) {
  auto text = render_default_toml();
  EXPECT_NE(text.find("[store]"), std::string::npos);
  EXPECT_NE(text.find("# Days of scored flows"), std::string::npos);
  Config c;
  ASSERT_TRUE(c.merge_toml_text(text, "defaults.toml").ok());
  for (const auto& s : all_settings()) {
    if (s.type == SettingType::kString) {
      EXPECT_EQ(c.get_string(s.name()), s.default_value) << s.name();
    }
  }
}

TEST(ConfigTest, TomlSyntaxErrorGivesLine) {
  Config c;
  auto st = c.merge_toml_text("[store\nurl = 1\n", "bad.toml");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, ErrorCode::kParse);
  EXPECT_TRUE(st.error().where.starts_with("bad.toml:1"));
}

TEST(ConfigTableTest, TomlTableWithDottedKeysIsFlattened) {
  Config c;
  ASSERT_TRUE(
      c.merge_toml_text("[kafka.properties]\nfetch.max.bytes = 1048576\n"
                        "\"ssl.cipher.suites\" = \"A:B\"\nenable.ssl.certificate.verification"
                        " = true\n",
                        "t.toml")
          .ok());
  const auto& t = c.get_table("kafka.properties");
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t.at("fetch.max.bytes"), "1048576");
  EXPECT_EQ(t.at("ssl.cipher.suites"), "A:B");
  EXPECT_EQ(t.at("enable.ssl.certificate.verification"), "true");
  EXPECT_EQ(c.origin("kafka.properties"), "t.toml");
}

TEST(ConfigTableTest, LayersAddKeysAndReplaceTheirValues) {
  Config c;
  ASSERT_TRUE(
      c.merge_toml_text("[kafka.properties]\n\"debug\" = \"broker\"\n\"a.b\" = \"1\"\n", "t.toml")
          .ok());
  ASSERT_TRUE(c.merge_env([](const char* name) -> const char* {
                 return std::string(name) == "FLOWSENTRY_KAFKA_PROPERTIES" ? "a.b=2;c=x=y"
                                                                           : nullptr;
               }).ok());
  ASSERT_TRUE(c.set("kafka.properties.debug", "broker,security").ok());
  const auto& t = c.get_table("kafka.properties");
  EXPECT_EQ(t.at("debug"), "broker,security");  // commas survive: ';' separates pairs
  EXPECT_EQ(t.at("a.b"), "2");
  EXPECT_EQ(t.at("c"), "x=y");
  EXPECT_EQ(c.origin("kafka.properties"), "flag");
}

TEST(ConfigTableTest, PairWithoutKeyIsAnError) {
  Config c;
  auto st = c.set("kafka.properties", "debug");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().to_string().find("key=value"), std::string::npos) << st.error().to_string();
  EXPECT_FALSE(c.merge_toml_text("[kafka]\nproperties = 3\n", "t.toml").ok());
  EXPECT_FALSE(c.merge_toml_text("[kafka.properties]\nx = [1, 2]\n", "t.toml").ok());
}

TEST(ConfigTableTest, DefaultTomlHasAnEmptyTable) {
  Config c;
  ASSERT_TRUE(c.merge_toml_text(render_default_toml(), "defaults.toml").ok());
  EXPECT_TRUE(c.get_table("kafka.properties").empty());
}

TEST(SettingsTest, EnvVarNameIsUpperSnake) {
  EXPECT_EQ(find_setting("store.retention_days")->env_var(), "FLOWSENTRY_STORE_RETENTION_DAYS");
  EXPECT_EQ(find_setting("nope.nope"), nullptr);
}

}  // namespace
}  // namespace flowsentry
