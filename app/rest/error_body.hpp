// Errors on the REST wire: grpc-gateway's status mapping and body shape.
#pragma once

#include <string>

#include "app/http/http_types.hpp"
#include "domain/error.hpp"

namespace mu::rest {

// grpc-gateway's HTTPStatusFromCode.
int http_status(domain::Code code);

// {"code":5,"message":"User could not be found (COMMAND-5M0od)","details":[{"@type":
// "type.googleapis.com/zitadel.v1.ErrorDetail","id":"COMMAND-5M0od","message":"User could not be
// found"}]} Errors without an id (validation) carry an empty details list.
std::string error_json(const domain::Error& e);

http::HttpResponse error_response(const domain::Error& e);

}  // namespace mu::rest
