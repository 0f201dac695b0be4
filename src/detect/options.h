// Detector and delivery options read from the settings table (sections "detect" and "alert"),
// and the notifiers the configuration asks for.
#pragma once

#include <memory>
#include <vector>

#include "common/config.h"
#include "detect/adwin.h"
#include "detect/burst.h"
#include "detect/dispatcher.h"
#include "detect/mix_drift.h"
#include "detect/notifier.h"

namespace flowsentry::detect {

AdwinOptions adwin_options(const Config& c);
MixDriftOptions mix_drift_options(const Config& c);
BurstOptions burst_options(const Config& c);
SingleFlowOptions single_flow_options(const Config& c);
DispatcherOptions dispatcher_options(const Config& c);
HttpOptions http_options(const Config& c);

// Slack and/or generic webhook from alert.slack_webhook_url / alert.webhook_url; the log
// notifier when neither is set (or when `always_log`).
std::vector<std::unique_ptr<Notifier>> notifiers_from_config(const Config& c,
                                                             bool always_log = false);

}  // namespace flowsentry::detect
