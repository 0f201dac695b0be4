#include "api/http.h"

#include <gtest/gtest.h>

namespace flowsentry::api {
namespace {

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* p : {"/", "/healthz", "/api/v1/alerts/{id}/ack", "/assets/*"}) {
      router_.add("GET", p, [this, p](const Request&, Response&) { hit_ = p; });
    }
    router_.add("POST", "/predict", [this](const Request&, Response&) { hit_ = "/predict"; });
    router_.add("POST", "/api/v1/alerts/{id}/ack",
                [this](const Request&, Response&) { hit_ = "POST ack"; });
  }

  Router::Match run(std::string method, std::string path) {
    Request req;
    req.method = std::move(method);
    req.path = std::move(path);
    captures_.clear();
    hit_.clear();
    auto m = router_.match(req, &captures_);
    if (m.handler) (*m.handler)(req, res_);
    return m;
  }

  Router router_;
  Response res_;
  std::vector<std::string> captures_;
  std::string hit_;
};

TEST_F(RouterTest, ExactPathsMatchOnlyThemselves) {
  EXPECT_TRUE(run("GET", "/healthz").handler);
  EXPECT_EQ(hit_, "/healthz");
  EXPECT_TRUE(run("GET", "/").handler);
  EXPECT_EQ(hit_, "/");
  for (const char* miss : {"/healthz/", "/healthzz", "/health", "", "healthz", "//healthz"}) {
    auto m = run("GET", miss);
    EXPECT_FALSE(m.handler) << miss;
    EXPECT_EQ(m.endpoint, "other") << miss;
  }
}

TEST_F(RouterTest, SegmentsAreCapturedAndThePatternIsTheEndpoint) {
  auto m = run("POST", "/api/v1/alerts/a1-b2/ack");
  ASSERT_TRUE(m.handler);
  EXPECT_EQ(hit_, "POST ack");
  EXPECT_EQ(m.endpoint, "/api/v1/alerts/{id}/ack");
  ASSERT_EQ(captures_.size(), 1u);
  EXPECT_EQ(captures_[0], "a1-b2");
  EXPECT_FALSE(run("POST", "/api/v1/alerts//ack").handler);
  EXPECT_FALSE(run("POST", "/api/v1/alerts/x/y/ack").handler);
}

TEST_F(RouterTest, StarTakesTheRestButNotNothing) {
  EXPECT_TRUE(run("GET", "/assets/js/app.js").handler);
  ASSERT_EQ(captures_.size(), 1u);
  EXPECT_EQ(captures_[0], "js/app.js");
  EXPECT_FALSE(run("GET", "/assets/").handler);
  EXPECT_FALSE(run("GET", "/assets").handler);
}

TEST_F(RouterTest, WrongMethodNamesWhatIsAllowedAndHeadIsGet) {
  auto m = run("GET", "/predict");
  EXPECT_FALSE(m.handler);
  EXPECT_EQ(m.endpoint, "/predict");
  EXPECT_EQ(m.allowed, "POST");
  auto both = run("DELETE", "/api/v1/alerts/7/ack");
  EXPECT_FALSE(both.handler);
  EXPECT_EQ(both.allowed, "GET, POST");
  EXPECT_TRUE(run("HEAD", "/healthz").handler);
  EXPECT_EQ(hit_, "/healthz");
}

TEST(RequestTest, HeadersAnyCaseParamsExactAndRepeated) {
  Request req;
  req.headers = {{"content-TYPE", "application/json"}};
  req.params = {{"format", "csv"}, {"format", "json"}, {"Format", "x"}};
  EXPECT_EQ(req.get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(req.get_header_value("Accept"), "");
  EXPECT_EQ(req.get_param_value("format"), "csv");
  EXPECT_EQ(req.get_param_value_count("format"), 2u);
  EXPECT_FALSE(req.has_param("limit"));
}

}  // namespace
}  // namespace flowsentry::api
