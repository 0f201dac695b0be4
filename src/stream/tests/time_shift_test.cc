// demo's replay of recorded flows "as if now": times move together, intervals stay.
#include "stream/time_shift.h"

#include <gtest/gtest.h>

namespace flowsentry::stream {
namespace {

// Hands out the flows it was given, one batch per call.
class ListSource final : public Source {
 public:
  explicit ListSource(std::vector<flow::FlowRecord> flows) : flows_(std::move(flows)) {}
  Result<size_t> next_batch(std::vector<flow::FlowRecord>& out, size_t max,
                            std::chrono::milliseconds) override {
    size_t n = 0;
    while (n < max && at_ < flows_.size()) out.push_back(flows_[at_++]), ++n;
    return n;
  }
  bool at_end() const override { return at_ == flows_.size(); }
  void take_rejected(std::vector<Rejected>&) override {}
  std::string describe() const override { return "list"; }

 private:
  std::vector<flow::FlowRecord> flows_;
  size_t at_ = 0;
};

flow::FlowRecord at(double stime, double ltime, int64_t pass = 0) {
  flow::FlowRecord f;
  f.stime = stime;
  f.ltime = ltime;
  f.key = {"capture.pcap", pass, 0};
  return f;
}

TEST(TimeShiftTest, FirstFlowStartsNowAndIntervalsAndDurationsAreKept) {
  const double kNow = 1800000000.0, kThen = 1500000000.0;
  std::vector<flow::FlowRecord> flows{at(kThen, kThen + 2), at(kThen + 10, kThen + 10.5),
                                      at(kThen - 1, kThen)};
  flows.push_back(flow::FlowRecord{});  // no times: left for the pipeline to stamp
  TimeShiftSource s(std::make_unique<ListSource>(flows), [&] { return kNow; });
  std::vector<flow::FlowRecord> out;
  ASSERT_EQ(*s.next_batch(out, 2, {}), 2u);
  ASSERT_EQ(*s.next_batch(out, 10, {}), 2u);
  EXPECT_DOUBLE_EQ(*out[0].stime, kNow);
  EXPECT_DOUBLE_EQ(*out[0].ltime, kNow + 2);
  EXPECT_DOUBLE_EQ(*out[1].stime, kNow + 10);
  EXPECT_DOUBLE_EQ(*out[1].ltime, kNow + 10.5);
  EXPECT_DOUBLE_EQ(*out[2].stime, kNow - 1);  // flows close out of start order
  EXPECT_FALSE(out[3].stime);
  EXPECT_TRUE(s.at_end());
}

TEST(TimeShiftTest, EachPassOfALoopStartsAtTheClockAgain) {
  double now = 1800000000.0;
  const double kThen = 1500000000.0;
  TimeShiftSource s(
      std::make_unique<ListSource>(std::vector{at(kThen, kThen + 1, 0), at(kThen + 5, kThen + 6, 0),
                                               at(kThen, kThen + 1, 1)}),
      [&] { return now; });
  std::vector<flow::FlowRecord> out;
  ASSERT_EQ(*s.next_batch(out, 2, {}), 2u);
  now += 100;
  ASSERT_EQ(*s.next_batch(out, 2, {}), 1u);
  EXPECT_DOUBLE_EQ(*out[1].stime, 1800000005.0);
  EXPECT_DOUBLE_EQ(*out[2].stime, 1800000100.0);
}

}  // namespace
}  // namespace flowsentry::stream
