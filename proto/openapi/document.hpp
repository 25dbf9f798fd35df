// The OpenAPI document: the overlay's `document` (info, servers, tags, shared components,
// the operations endpoints that are not RPCs) with an operation for every RPC of the
// descriptors and the component schemas of their messages.
#pragma once

#include "proto/openapi/descriptors.hpp"
#include "proto/openapi/schemas.hpp"

namespace mu::openapi {

// Throws std::runtime_error (or nlohmann's exceptions for an overlay of the wrong shape)
// saying what cannot be described; never writes half a document.
Json generate(const Descriptors& descriptors, const Json& overlay);

}  // namespace mu::openapi
