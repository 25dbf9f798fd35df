// Every call's first two checks, for every transport: who calls (a personal
// access token of an active machine user), then whether the caller holds the
// call's permission in the organization it acts in (x-zitadel-orgid, or the
// caller's own). Request validation and the command come after.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "app/platform/signing_keys.hpp"
#include "domain/result.hpp"

namespace mu::pipeline {

// As the transport received them (REST: headers; gRPC: metadata).
struct Credentials {
  std::optional<std::string> authorization;  // "Bearer <token>"
  std::optional<std::string> org_id;         // x-zitadel-orgid
};

// 401 (code 16) for a missing, malformed, unknown, expired or revoked token, a caller
// who is not active, or an issued token without our API in its audience; 403 (code 7,
// AUTH-5mWD2) without the permission; 404 when an instance-wide caller names an
// organization that does not exist. The token is a personal access token or an opaque
// issued one (by its SHA-256), or a JWT the OAuth endpoints issued: signed by one of
// `token_keys` (none: no JWT is accepted), then found by its jti.
domain::Result<api::CallContext> authorize(commands::Backend& b, const Credentials& credentials,
                                           std::string_view permission,
                                           const platform::SigningKeys* token_keys = nullptr);

// The token of "Bearer <token>" (scheme case-insensitive), or nullopt.
std::optional<std::string> bearer_token(std::string_view authorization);

}  // namespace mu::pipeline
