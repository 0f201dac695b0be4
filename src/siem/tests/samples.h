// Verdicts and alerts the SIEM tests format: plain ones, ones with hosts, and ones whose
// strings carry everything the formats must escape.
#pragma once

#include <vector>

#include "detect/alert.h"
#include "model/verdict.h"

namespace flowsentry::siem::testing {

model::ScoredFlow anomaly_with_hosts();
model::ScoredFlow normal_without_hosts();  // a UNSW-NB15 training row: no addresses, no times
detect::Alert burst_alert();               // hosts in its example flows
detect::Alert behaviour_alert();           // kind + payload.hosts, as behaviour detectors send
detect::Alert hostile_alert();             // | \ = newlines and non-ASCII in every string

std::vector<model::ScoredFlow> sample_verdicts();
std::vector<detect::Alert> sample_alerts();

}  // namespace flowsentry::siem::testing
