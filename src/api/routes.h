// Route groups, each in its own file; server.cc adds them to its router.
#pragma once

#include "api/http.h"
#include "api/server.h"
#include "common/clock.h"

namespace flowsentry::api {

// `max_explain_flows`: the most flows one explained call may hold (api.max_explain_flows).
void add_predict_routes(Router& router, const ApiContext& context, size_t max_explain_flows);
void add_query_routes(Router& router, const ApiContext& context);
// /api/v1/flows and /api/v1/hosts/*: the flow list and host queries (hosts.cc).
void add_host_routes(Router& router, const ApiContext& context);
// Analyst feedback and suppression rules (feedback.cc).
void add_feedback_routes(Router& router, const ApiContext& context);

}  // namespace flowsentry::api
