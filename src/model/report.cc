#include "model/report.h"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "model/metrics.h"

namespace flowsentry::model {

using nlohmann::json;

namespace {
// Rounded so reports are stable to read and diff; 1e-6 is far below any bar we check.
double r6(double v) {
  return std::isfinite(v) ? std::round(v * 1e6) / 1e6 : v;
}

// The shape the dashboard's model page reads: {roc: [{fpr, tpr, threshold}],
// pr: [{recall, precision, threshold}]}.
json curves_json(const LabelledPredictions& p) {
  const auto c = curves(p.score, p.label);
  json roc = json::array(), pr = json::array();
  for (const auto& q : c.roc) {
    roc.push_back({{"fpr", r6(q.fpr)}, {"tpr", r6(q.tpr)}, {"threshold", r6(q.threshold)}});
  }
  for (const auto& q : c.pr) {
    pr.push_back(
        {{"recall", r6(q.recall)}, {"precision", r6(q.precision)}, {"threshold", r6(q.threshold)}});
  }
  return {{"roc", roc}, {"pr", pr}};
}
}  // namespace

json evaluation_report(const LabelledPredictions& p, double threshold,
                       const std::vector<std::string>& classes) {
  json j;
  const auto b = binary_metrics(p.score, p.label, threshold);
  j["rows"] = p.score.size();
  j["auc"] = r6(roc_auc(p.score, p.label));
  j["accuracy"] = r6(b.accuracy);
  j["precision"] = r6(b.precision);
  j["recall"] = r6(b.recall);
  j["f1"] = r6(b.f1);
  j["fpr"] = r6(b.fpr);
  j["threshold"] = threshold;
  j["fpr_at_recall_95"] = r6(fpr_at_recall(p.score, p.label, 0.95));
  j["fpr_at_recall_97"] = r6(fpr_at_recall(p.score, p.label, 0.97));
  const auto half = binary_metrics(p.score, p.label, 0.5);
  j["at_0_5"] = {{"recall", r6(half.recall)}, {"fpr", r6(half.fpr)}, {"f1", r6(half.f1)}};
  j["confusion"] = {{"tp", b.tp}, {"fp", b.fp}, {"tn", b.tn}, {"fn", b.fn}};
  j["curves"] = curves_json(p);
  const auto m = multiclass_metrics(p.cat_true, p.cat_pred, static_cast<int>(classes.size()));
  json per_class = json::object();
  for (size_t c = 0; c < classes.size(); ++c) {
    const auto& pc = m.per_class[c];
    per_class[classes[c]] = {{"precision", r6(pc.precision)},
                             {"recall", r6(pc.recall)},
                             {"f1", r6(pc.f1)},
                             {"support", pc.support}};
  }
  j["multiclass"] = {{"accuracy", r6(m.accuracy)},
                     {"macro_f1", r6(m.macro_f1)},
                     {"classes", classes},
                     {"per_class", per_class},
                     {"confusion", m.confusion}};
  return j;
}

std::string evaluation_text(const json& r) {
  std::string out;
  auto line = [&](const std::string& s) { out += s + "\n"; };
  line(fmt::format("rows: {}", r["rows"].get<int64_t>()));
  line(fmt::format("threshold: {:.6f}", r["threshold"].get<double>()));
  line(fmt::format("auc: {:.6f}   fpr at recall 0.95: {:.4f}%", r["auc"].get<double>(),
                   100 * r["fpr_at_recall_95"].get<double>()));
  line(fmt::format("accuracy: {:.4f}  precision: {:.4f}  recall: {:.4f}  f1: {:.4f}  fpr: {:.4f}%",
                   r["accuracy"].get<double>(), r["precision"].get<double>(),
                   r["recall"].get<double>(), r["f1"].get<double>(), 100 * r["fpr"].get<double>()));
  const auto& c = r["confusion"];
  line("binary confusion (rows = truth):");
  line(fmt::format("  {:>10} {:>10} {:>10}", "", "pred 0", "pred 1"));
  line(fmt::format("  {:>10} {:>10} {:>10}", "normal", c["tn"].get<int64_t>(),
                   c["fp"].get<int64_t>()));
  line(fmt::format("  {:>10} {:>10} {:>10}", "attack", c["fn"].get<int64_t>(),
                   c["tp"].get<int64_t>()));
  const auto& m = r["multiclass"];
  line(fmt::format("attack_cat: accuracy {:.4f}  macro-F1 {:.4f}", m["accuracy"].get<double>(),
                   m["macro_f1"].get<double>()));
  const auto classes = m["classes"].get<std::vector<std::string>>();
  line(fmt::format("  {:<15} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "f1",
                   "support"));
  for (const auto& name : classes) {
    const auto& pc = m["per_class"][name];
    line(fmt::format("  {:<15} {:>9.4f} {:>9.4f} {:>9.4f} {:>8}", name,
                     pc["precision"].get<double>(), pc["recall"].get<double>(),
                     pc["f1"].get<double>(), pc["support"].get<int64_t>()));
  }
  line("attack_cat confusion (rows = truth, columns = predicted, same order):");
  std::string header = fmt::format("  {:<15}", "");
  for (const auto& name : classes) header += fmt::format(" {:>6.6}", name);
  line(header);
  const auto& conf = m["confusion"];
  for (size_t i = 0; i < classes.size(); ++i) {
    std::string row = fmt::format("  {:<15}", classes[i]);
    for (size_t k = 0; k < classes.size(); ++k)
      row += fmt::format(" {:>6}", conf[i][k].get<int64_t>());
    line(row);
  }
  return out;
}

}  // namespace flowsentry::model
