#include "web/assets.h"

#include <gtest/gtest.h>

namespace flowsentry::web {
namespace {

TEST(WebAssetsTest, IndexHtmlIsEmbeddedAndServedAtRoot) {
  const Asset* root = find_asset("/");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->path, "/index.html");
  EXPECT_EQ(root->content_type, "text/html; charset=utf-8");
  EXPECT_NE(root->body.find("<title>flowsentry</title>"), std::string_view::npos);
  EXPECT_NE(root->body.find("/assets/app.js"), std::string_view::npos);
  EXPECT_EQ(find_asset("/index.html"), root);
  EXPECT_EQ(find_asset("/?window=1h"), root);
}

TEST(WebAssetsTest, BundleAndStylesAreEmbeddedWithTheirTypes) {
  const Asset* js = find_asset("/assets/app.js");
  ASSERT_NE(js, nullptr);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_GT(js->body.size(), 100000u) << "the bundle includes ECharts";
  EXPECT_NE(js->body.find("__flowsentry"), std::string_view::npos);
  const Asset* css = find_asset("/assets/app.css");
  ASSERT_NE(css, nullptr);
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(css->body.empty());
}

TEST(WebAssetsTest, UnknownPathsAreNotFound) {
  EXPECT_EQ(find_asset("/assets/missing.js"), nullptr);
  EXPECT_EQ(find_asset("/api/v1/summary"), nullptr);
  EXPECT_EQ(find_asset("/assets/../index.html"), nullptr);
}

TEST(WebAssetsTest, AllAssetsAreSortedAndReferenceNothingExternal) {
  const auto all = all_assets();
  ASSERT_GE(all.size(), 3u);
  for (size_t i = 1; i < all.size(); ++i) EXPECT_LT(all[i - 1].path, all[i].path);
  for (const auto& a : all) {
    EXPECT_EQ(a.body.find("https://fonts."), std::string_view::npos) << a.path;
    EXPECT_EQ(a.body.find("cdn.jsdelivr"), std::string_view::npos) << a.path;
  }
}

}  // namespace
}  // namespace flowsentry::web
