#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "flow/reader.h"

namespace flowsentry::cli {
namespace {

struct CheckOpts {
  std::string data;
  bool strict = false;
  size_t max_problems = 10;
  std::string format = "text";
};

struct CheckReport {
  std::string format;
  size_t valid = 0;
  size_t invalid = 0;
  std::vector<std::string> problems;  // first N, "line L: field: problem"
  std::map<std::string, size_t> reasons;
  std::map<std::string, std::map<std::string, size_t>> categories;  // column -> value -> count
};

std::vector<std::pair<std::string, size_t>> by_count(const std::map<std::string, size_t>& m) {
  std::vector<std::pair<std::string, size_t>> v(m.begin(), m.end());
  std::stable_sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second > b.second; });
  return v;
}

void print_text(const CheckOpts& o, const CheckReport& r) {
  std::cout << fmt::format("file: {} ({})\n", o.data, r.format);
  std::cout << fmt::format("rows: {} valid, {} invalid\n", r.valid, r.invalid);
  if (!r.problems.empty()) {
    std::cout << fmt::format("problems (first {}):\n", r.problems.size());
    for (const auto& p : r.problems) std::cout << "  " << p << "\n";
    std::cout << "rejected by reason:";
    for (const auto& [reason, n] : by_count(r.reasons))
      std::cout << fmt::format(" {}={}", reason, n);
    std::cout << "\n";
  }
  for (const auto& [column, counts] : r.categories) {
    auto sorted = by_count(counts);
    std::cout << fmt::format("{} ({} distinct):", column, sorted.size());
    size_t shown = 0;
    for (const auto& [value, n] : sorted) {
      if (shown++ == 12) {
        std::cout << " ...";
        break;
      }
      std::cout << fmt::format(" {}={}", value, n);
    }
    std::cout << "\n";
  }
}

void print_json(const CheckOpts& o, const CheckReport& r) {
  nlohmann::json j;
  j["file"] = o.data;
  j["format"] = r.format;
  j["valid"] = r.valid;
  j["invalid"] = r.invalid;
  j["problems"] = r.problems;
  j["rejected_by_reason"] = r.reasons;
  j["categories"] = r.categories;
  std::cout << j.dump() << "\n";
}

int run_check(const CheckOpts& o) {
  auto reader = flow::open_flow_file(o.data);
  if (!reader.ok()) {
    std::cerr << "flowsentry check: " << reader.error().to_string() << "\n";
    return kExitRuntime;
  }
  auto& r = **reader;
  CheckReport report;
  report.format = r.format();
  flow::FlowRecord rec;
  flow::FieldProblem problem;
  const bool progress = isatty(STDERR_FILENO);
  for (auto n = r.next(rec, problem); n != flow::FlowReader::Next::kEnd; n = r.next(rec, problem)) {
    if (n == flow::FlowReader::Next::kInvalid) {
      ++report.invalid;
      ++report.reasons[problem.reason];
      if (report.problems.size() < o.max_problems) {
        report.problems.push_back(fmt::format("line {}: {}{}", r.line(),
                                              problem.field.empty() ? "" : problem.field + ": ",
                                              problem.problem));
      }
      continue;
    }
    ++report.valid;
    ++report.categories["proto"][rec.proto];
    ++report.categories["service"][rec.service];
    ++report.categories["state"][rec.state];
    if (rec.attack_cat) ++report.categories["attack_cat"][*rec.attack_cat];
    if (progress && (report.valid + report.invalid) % 500000 == 0) {
      std::cerr << fmt::format("\rchecked {} rows", report.valid + report.invalid) << std::flush;
    }
  }
  if (progress && report.valid + report.invalid >= 500000) std::cerr << "\n";
  if (o.format == "json") {
    print_json(o, report);
  } else {
    print_text(o, report);
  }
  return o.strict && report.invalid > 0 ? kExitRuntime : kExitOk;
}

}  // namespace

Command add_check_command(CLI::App& root) {
  auto* app = root.add_subcommand("check", "Validate a CSV or JSON-lines flow file");
  auto opts = std::make_shared<CheckOpts>();
  app->add_option("--data", opts->data,
                  "Flow file (CSV with a header, JSON lines, or a pcap/pcapng capture)")
      ->required();
  app->add_flag("--strict", opts->strict, "Exit 1 if any row is invalid");
  app->add_option("--max-problems", opts->max_problems, "How many problems to list")
      ->capture_default_str();
  app->add_option("--format", opts->format, "Report format")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  app->footer(
      "Prints the counts of valid and invalid rows, the first problems with their line\n"
      "numbers and reasons, and the counts of each proto, service, state and attack_cat.");
  return {app, [opts] { return run_check(*opts); }};
}

}  // namespace flowsentry::cli
