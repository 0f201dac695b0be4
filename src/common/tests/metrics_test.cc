#include "common/metrics.h"

#include <thread>

#include <gtest/gtest.h>

namespace flowsentry {
namespace {

TEST(MetricsTest, CounterRendersWithHelpTypeAndLabels) {
  MetricsRegistry r;
  r.counter("fs_rejected_total", "Rejected records", {{"reason", "bad_json"}}).inc(2);
  r.counter("fs_rejected_total", "Rejected records", {{"reason", "negative"}}).inc();
  auto text = r.render();
  EXPECT_NE(
      text.find("# HELP fs_rejected_total Rejected records\n# TYPE fs_rejected_total counter\n"),
      std::string::npos);
  EXPECT_NE(text.find("fs_rejected_total{reason=\"bad_json\"} 2\n"), std::string::npos) << text;
  EXPECT_NE(text.find("fs_rejected_total{reason=\"negative\"} 1\n"), std::string::npos);
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameMetric) {
  MetricsRegistry r;
  auto& a = r.counter("c", "h");
  auto& b = r.counter("c", "h");
  EXPECT_EQ(&a, &b);
  EXPECT_THROW(r.gauge("c", "h"), std::logic_error);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry r;
  auto& h = r.histogram("lat_seconds", "Latency", {}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  auto text = r.render();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.1\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"1\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 3\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_sum 5.55\n"), std::string::npos);
  EXPECT_NE(text.find("lat_seconds_count 3\n"), std::string::npos);
}

TEST(MetricsTest, HistogramQuantileInterpolatesInTheBucket) {
  Histogram h({1, 2, 4});
  for (int i = 0; i < 10; ++i) h.observe(1.5);  // all in (1, 2]
  EXPECT_DOUBLE_EQ(h.quantile(0.5), 1.5);
  EXPECT_DOUBLE_EQ(h.quantile(1.0), 2.0);
}

TEST(MetricsTest, LabelValuesAreEscaped) {
  MetricsRegistry r;
  r.gauge("g", "h", {{"path", "a\"b\\c"}}).set(1);
  EXPECT_NE(r.render().find("g{path=\"a\\\"b\\\\c\"} 1"), std::string::npos) << r.render();
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  MetricsRegistry r;
  auto& c = r.counter("n", "h");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) c.inc();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.value(), 40000);
}

}  // namespace
}  // namespace flowsentry
