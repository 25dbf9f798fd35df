// google.rpc.Status for the `grpc-status-details-bin` trailer, as ZITADEL builds it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/error.hpp"

namespace mu::grpc {

// The trailer's value (before base64): a serialized google.rpc.Status {code, message =
// e.full_message(), details = [Any{zitadel.v1.ErrorDetail{id, message}}]}. nullopt for
// an error without an id (validation errors): grpc-go sends the trailer only when the
// status has details, and ZITADEL's validation errors have none.
std::optional<std::string> status_details(const domain::Error& e);

// The reverse, for clients and tests: the error in a grpc-status-details-bin value, from
// its first zitadel.v1.ErrorDetail (nullopt when the bytes are no google.rpc.Status or
// carry no such detail).
std::optional<domain::Error> decode_status_details(std::string_view bytes);

}  // namespace mu::grpc
