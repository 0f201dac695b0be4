// Elastic Common Schema documents: one per verdict (event.kind "event", or "alert" for an
// anomaly) and one per alert. Every field is an ECS field except those under `flowsentry.`,
// checked against Elastic's published field list (tests/data/ecs_fields.json).
#pragma once

#include <nlohmann/json.hpp>

#include "detect/alert.h"
#include "model/verdict.h"

namespace flowsentry::siem {

// The ECS version the documents follow (the field list they are checked against).
inline constexpr const char* kEcsVersion = "9.4.0";

// `now` stamps flows without an event time.
nlohmann::json ecs_verdict(const model::ScoredFlow& f, double now);
nlohmann::json ecs_alert(const detect::Alert& alert);

}  // namespace flowsentry::siem
