// A REST call's request message, as grpc-gateway builds it from the route and the
// body: with body "*" the JSON body fills the message (protojson.hpp), then each
// path parameter sets the field its template names (the path wins over the body).
// Our extras that are not in ZITADEL's messages (rest_extras.hpp) are read beside.
#pragma once

#include <string_view>

#include "app/pipeline/call_pipeline.hpp"
#include "app/rest/routes.hpp"
#include "domain/result.hpp"

namespace mu::rest {

domain::Result<pipeline::DecodedRequest> decode_request(const RouteMatch& route,
                                                        std::string_view body);

}  // namespace mu::rest
