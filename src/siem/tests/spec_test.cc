#include <gtest/gtest.h>

#include "common/config.h"
#include "siem/outputs.h"
#include "siem/spec.h"

namespace flowsentry::siem {
namespace {

TEST(SpecTest, ParsesEveryKindWithItsOptions) {
  auto specs = parse_output_specs(
      "file /var/log/fs/ecs.jsonl filter=anomalies max_mb=10 keep=3;"
      " syslog tls://siem.example:6514 format=cef ca=/etc/ca.pem ;\n"
      "webhook https://h.example/x?y=1&z=2 filter=all header=X-Api-Key:abc:def name=hook;"
      "kafka siem.alerts format=ocsf");
  ASSERT_TRUE(specs.ok()) << specs.error().to_string();
  ASSERT_EQ(specs->size(), 4u);
  const auto& f = (*specs)[0];
  EXPECT_EQ(f.kind, "file");
  EXPECT_EQ(f.target, "/var/log/fs/ecs.jsonl");
  EXPECT_EQ(f.filter, Filter::kAnomalies);
  EXPECT_EQ(f.format, Format::kEcs);
  EXPECT_EQ(f.params.at("keep"), "3");
  EXPECT_EQ(f.name, "file-1");
  EXPECT_EQ((*specs)[1].format, Format::kCef);
  EXPECT_EQ((*specs)[1].filter, Filter::kAlerts);  // the default
  const auto& w = (*specs)[2];
  EXPECT_EQ(w.target, "https://h.example/x?y=1&z=2");
  EXPECT_EQ(w.name, "hook");
  ASSERT_EQ(w.headers.size(), 1u);
  EXPECT_EQ(w.headers[0].first, "X-Api-Key");
  EXPECT_EQ(w.headers[0].second, "abc:def");
  EXPECT_EQ((*specs)[3].format, Format::kOcsf);
}

TEST(SpecTest, EmptyTextIsNoOutputs) {
  auto specs = parse_output_specs(" ; ");
  ASSERT_TRUE(specs.ok());
  EXPECT_TRUE(specs->empty());
}

TEST(SpecTest, MistakesNameTheOutputAndTheProblem) {
  for (const char* text : {"file", "smtp x", "file x filter=some", "file x format=cef",
                           "syslog udp://h:514 format=ecs", "kafka t format=ocsf filter=all",
                           "webhook u header=NoColon", "file x novalue"}) {
    auto specs = parse_output_specs(text);
    ASSERT_FALSE(specs.ok()) << text;
    EXPECT_EQ(specs.error().where, "siem.outputs #1") << text;
  }
}

TEST(SpecTest, AdversarialHeaderWithALineBreakIsRefused) {
  EXPECT_FALSE(parse_output_specs("webhook u header=X-A:b\rX-Injected:1").ok());
}

}  // namespace
}  // namespace flowsentry::siem

namespace flowsentry::siem {
namespace {

TEST(OutputDefaultsTest, KafkaOutputsGetTheKafkaSecuritySettings) {
  Config c;
  ASSERT_TRUE(c.set("kafka.security_protocol", "sasl_ssl").ok());
  ASSERT_TRUE(c.set("kafka.sasl_username", "u").ok());
  ASSERT_TRUE(c.set("kafka.sasl_password", "pw").ok());
  ASSERT_TRUE(c.set("kafka.properties.client.rack", "r1").ok());
  auto d = output_defaults(c);
  EXPECT_EQ(d.kafka_properties.at("security.protocol"), "sasl_ssl");
  EXPECT_EQ(d.kafka_properties.at("sasl.username"), "u");
  EXPECT_EQ(d.kafka_properties.at("sasl.password"), "pw");
  EXPECT_EQ(d.kafka_properties.at("client.rack"), "r1");
}

}  // namespace
}  // namespace flowsentry::siem
