// Route groups, each in its own file; server.cc adds them to its router.
#pragma once

#include "api/http.h"
#include "api/server.h"

namespace flowsentry::api {

void add_predict_routes(Router& router, const ApiContext& context);
void add_query_routes(Router& router, const ApiContext& context);

double wall_now();

}  // namespace flowsentry::api
