#include "model/evaluate.h"

#include <algorithm>

#include <fmt/format.h>

#include "flow/reader.h"
#include "model/report.h"

namespace flowsentry::model {

Result<nlohmann::json> evaluate_file(const Scorer& scorer, const std::string& path,
                                     const std::function<void(const std::string&)>& on_invalid) {
  auto reader = flow::open_flow_file(path);
  if (!reader) return reader.error();
  auto& r = **reader;
  const auto& profile = scorer.meta().features.profile();
  if (auto st = flow::check_source_fills(profile, r.profile(), path); !st) return st.error();
  if (!r.has_labels()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the label and attack_cat columns are missing; evaluation needs labelled "
                      "data (use `flowsentry score` for unlabelled flows)",
                      path);
  }
  const auto& classes = scorer.meta().classes;
  auto class_of = [&](const std::string& name) {
    return static_cast<int>(std::find(classes.begin(), classes.end(), name) - classes.begin());
  };
  LabelledPredictions p;
  std::vector<flow::FlowRecord> batch(4096);
  std::vector<Verdict> verdicts;
  size_t filled = 0;
  int64_t invalid = 0;
  auto flush = [&]() -> Status {
    if (filled == 0) return {};
    std::span<const flow::FlowRecord> rows(batch.data(), filled);
    if (auto st = scorer.score(rows, verdicts); !st) return st;
    for (size_t i = 0; i < filled; ++i) {
      p.score.push_back(static_cast<float>(verdicts[i].score));
      p.label.push_back(*rows[i].label);
      p.cat_true.push_back(class_of(*rows[i].attack_cat));
      p.cat_pred.push_back(class_of(verdicts[i].attack_cat));
    }
    filled = 0;
    return {};
  };
  flow::FieldProblem problem;
  for (;;) {
    auto& rec = batch[filled];
    auto n = r.next(rec, problem);
    if (n == flow::FlowReader::Next::kEnd) break;
    const bool usable = n == flow::FlowReader::Next::kRecord && rec.label && rec.attack_cat &&
                        class_of(*rec.attack_cat) < static_cast<int>(classes.size());
    if (!usable) {
      ++invalid;
      if (on_invalid) {
        on_invalid(
            fmt::format("{}:{}: skipped: {}", path, r.line(),
                        n == flow::FlowReader::Next::kInvalid
                            ? (problem.field.empty() ? "" : problem.field + ": ") + problem.problem
                            : std::string("no usable label/attack_cat")));
      }
      continue;
    }
    if (++filled == batch.size()) {
      if (auto st = flush(); !st) return st.error();
    }
  }
  if (auto st = flush(); !st) return st.error();
  if (p.score.empty())
    return make_error(ErrorCode::kInvalidArgument, "no valid rows to evaluate", path);
  auto report = evaluation_report(p, scorer.threshold(), classes);
  report["invalid_rows"] = invalid;
  report["model_version"] = scorer.model_version();
  report["profile"] = profile.name;
  return report;
}

}  // namespace flowsentry::model
