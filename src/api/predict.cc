// POST /predict: one flow or an array of up to kMaxFlows, scored with explanations.
#include <atomic>

#include <fmt/format.h>

#include "api/http_util.h"
#include "api/routes.h"
#include "flow/json_codec.h"

namespace flowsentry::api {
namespace {

constexpr size_t kMaxFlows = 10000;
constexpr int kTopFeatures = 3;

bool is_json(const Request& req) {
  auto type = req.get_header_value("Content-Type");
  auto semi = type.find(';');
  if (semi != std::string::npos) type.resize(semi);
  while (!type.empty() && type.back() == ' ') type.pop_back();
  return type == "application/json";
}

// Per-thread buffers: a request allocates nothing once its thread has served a few.
struct Scratch {
  flow::JsonDecoder decoder;
  std::vector<flow::FlowRecord> flows;
  std::vector<flow::RecordProblem> problems;
  std::vector<model::Verdict> verdicts;
  std::vector<model::ScoredFlow> to_store;
  std::string body;
};

// Scratch kept per thread between requests: up to this many flows' worth (and 1 MiB of parser
// buffers). A larger request's buffers are freed when it is answered.
constexpr size_t kKeepFlows = 1024;
constexpr size_t kKeepParserBytes = 1 << 20;

template <class T>
void release_above(std::vector<T>& v, size_t keep) {
  if (v.capacity() > keep) std::vector<T>().swap(v);
}

struct ShrinkAfter {
  Scratch& s;
  ~ShrinkAfter() {
    release_above(s.flows, kKeepFlows);
    release_above(s.problems, kKeepFlows);
    release_above(s.verdicts, kKeepFlows);
    release_above(s.to_store, kKeepFlows);
    if (s.body.capacity() > kKeepParserBytes) std::string().swap(s.body);
    s.decoder.shrink(kKeepParserBytes);
  }
};

// Rows stored by /predict?store=1 are keyed ("predict", process start in µs, sequence): a
// restarted process on the same store starts a new partition instead of re-using offsets from
// 0, which the store would ignore as already stored.
const int64_t kPredictPartition = static_cast<int64_t>(wall_seconds() * 1e6);
std::atomic<int64_t> g_predict_sequence{0};

void handle_predict(const ApiContext& ctx, size_t max_explain_flows, const Request& req,
                    Response& res) {
  const auto scorer = ctx.current_scorer();  // one model for the whole request
  if (!scorer) {
    send_error(res, 503, "no model loaded");
    return;
  }
  if (!is_json(req)) {
    send_error(res, 415, "expected Content-Type: application/json",
               {{"Content-Type", "got '" + req.get_header_value("Content-Type") + "'"}});
    return;
  }
  std::vector<Problem> bad_params;
  bool explain = true, store = false;
  if (req.has_param("explain")) {
    auto v = req.get_param_value("explain");
    if (v != "0" && v != "1") bad_params.push_back({"explain", "expected 0 or 1"});
    explain = v != "0";
  }
  if (req.has_param("store")) {
    auto v = req.get_param_value("store");
    if (v != "0" && v != "1") bad_params.push_back({"store", "expected 0 or 1"});
    store = v == "1";
  }
  if (!bad_params.empty()) {
    send_error(res, 400, "bad query parameter", bad_params);
    return;
  }
  if (store && !ctx.store) {
    send_error(res, 503, "store=1 was asked but this process has no store");
    return;
  }

  thread_local Scratch s;
  s.flows.clear();
  s.problems.clear();
  ShrinkAfter shrink{s};
  bool is_array = false;
  if (auto st = s.decoder.decode(req.body, s.flows, s.problems, &is_array, kMaxFlows); !st.ok()) {
    const bool too_many = st.error().code == ErrorCode::kInvalidArgument;
    send_error(
        res, 400,
        too_many ? "too many flows" : "body is not a flow object or an array of flow objects",
        {{st.error().where.empty() ? "/" : st.error().where, st.error().message}});
    return;
  }
  size_t total = s.flows.size() + s.problems.size();
  if (explain && total > max_explain_flows) {
    send_error(
        res, 400, "too many flows to explain",
        {{"explain", fmt::format("{} flows with explanations; at most {} "
                                 "(api.max_explain_flows): send explain=0 or smaller batches",
                                 total, max_explain_flows)}});
    return;
  }
  if (is_array && total == 0) {
    send_error(res, 400, "no flows", {{"/", "array is empty"}});
    return;
  }
  if (!s.problems.empty()) {
    std::vector<Problem> details;
    for (size_t i = 0; i < s.problems.size() && i < 100; ++i) {
      const auto& p = s.problems[i].problem;
      details.push_back({p.field.empty() ? "/" : p.field, p.problem});
    }
    send_error(res, 400, fmt::format("{} invalid flow(s)", s.problems.size()), details);
    return;
  }

  model::ExplainOptions opts{explain ? kTopFeatures : 0, false};
  if (auto st = scorer->score(s.flows, s.verdicts, opts); !st.ok()) {
    send_error(res, 503, "scoring failed: " + st.error().message);
    return;
  }
  if (store) {
    s.to_store.resize(s.flows.size());
    double now = wall_seconds();
    for (size_t i = 0; i < s.flows.size(); ++i) {
      auto& sf = s.to_store[i];
      sf.flow = s.flows[i];
      if (!sf.flow.stime) sf.flow.stime = now;
      sf.flow.key = {"predict", kPredictPartition, g_predict_sequence.fetch_add(1)};
      sf.verdict = s.verdicts[i];
    }
    auto w = ctx.store->write(s.to_store);
    if (!w.ok()) {
      send_error(res, 503, "scored, but storing failed: " + w.error().message);
      return;
    }
    res.set_header("X-Flowsentry-Stored", std::to_string(*w));
  }
  s.body.clear();
  if (is_array) s.body += '[';
  for (size_t i = 0; i < s.verdicts.size(); ++i) {
    if (i) s.body += ',';
    model::append_verdict_json(s.verdicts[i], s.body);
  }
  if (is_array) s.body += ']';
  res.set_content(s.body, "application/json");
}

}  // namespace

void add_predict_routes(Router& router, const ApiContext& context, size_t max_explain_flows) {
  router.add("POST", "/predict", [&context, max_explain_flows](const Request& req, Response& res) {
    handle_predict(context, max_explain_flows, req, res);
  });
}

}  // namespace flowsentry::api
