// GET /openapi.json: the OpenAPI document of the REST routes. The build generates it from
// the protos and proto/openapi/overlay.json (proto/openapi/) and embeds it into the binary
// (cmake/embed_file.cmake), so that what is served is byte for byte what is generated and
// tested (tests/node/openapi_*.mjs).
#pragma once

#include <string_view>

#include "app/http/http_types.hpp"

namespace mu::rest {

// The document's bytes (defined in the generated embedded_openapi.cpp).
extern const std::string_view kOpenApiJson;

// The answer to GET (and HEAD) /openapi.json: 200, application/json, the document.
http::HttpResponse openapi_response();

}  // namespace mu::rest
