// Route groups, each in its own file; server.cc adds them to the httplib server.
#pragma once

#include <httplib.h>

#include "api/server.h"

namespace flowsentry::api {

void add_predict_routes(httplib::Server& server, const ApiContext& context);
void add_query_routes(httplib::Server& server, const ApiContext& context);

double wall_now();

}  // namespace flowsentry::api
