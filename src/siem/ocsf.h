// OCSF 1.3 Detection Finding (class_uid 2004, category "Findings") for an alert, checked
// against the class's JSON schema from the PyPI package ocsf-json-schema (tests/ocsf_test.cc).
#pragma once

#include <nlohmann/json.hpp>

#include "detect/alert.h"

namespace flowsentry::siem {

inline constexpr const char* kOcsfVersion = "1.3.0";

nlohmann::json ocsf_finding(const detect::Alert& alert);

}  // namespace flowsentry::siem
