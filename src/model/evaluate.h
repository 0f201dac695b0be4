// Evaluation of a Scorer on a labelled flow file: what `flowsentry evaluate` and the quality
// tests run.
#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"
#include "model/scorer.h"

namespace flowsentry::model {

// Scores every valid row and returns evaluation_report() plus invalid_rows and model_version.
// Each skipped row is passed to `on_invalid` as "path:line: reason". A file without the label
// columns is kInvalidArgument.
Result<nlohmann::json> evaluate_file(
    const Scorer& scorer, const std::string& path,
    const std::function<void(const std::string&)>& on_invalid = {});

}  // namespace flowsentry::model
