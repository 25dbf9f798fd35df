// POST /oauth/v2/introspect (RFC 7662) on a database worker. Ours (the contract): the caller
// is a machine user authenticated by client_secret_basic or a client_assertion; it learns of
// a token it owns, one whose audience names it, or one whose owner's organization it may
// read users of (user.read); of any other token, {"active":false}.
#pragma once

#include <optional>
#include <string>

#include "app/commands/backend.hpp"
#include "app/http/http_types.hpp"
#include "app/oauth/token_endpoint.hpp"
#include "app/platform/signing_keys.hpp"
#include "domain/form_urlencoded.hpp"

namespace mu::oauth {

struct IntrospectionRequest {
  std::optional<std::string> authorization;  // the Authorization header
  std::string body;                           // the form
};

// The caller of introspection or revocation: client_secret_basic or a client_assertion
// (urn:ietf:params:oauth:client-assertion-type:jwt-bearer). Refusals are the answers: none
// 400 invalid_client, both at once 400 invalid_request, failed 401 invalid_client.
ClientResult authenticate_caller(commands::Backend& b, const std::string& issuer,
                                 const std::optional<std::string>& authorization,
                                 const domain::FormFields& form, domain::Timestamp now);

// How to find a token: {SHA-256 hex, ""} for a PAT or opaque token, {"", jti} for a JWT one
// of `keys` signed; nullopt for a JWT that is not ours.
std::optional<std::pair<std::string, std::string>> token_keys_of(
    const std::string& token, const platform::SigningKeys& keys);

// POST /oauth/v2/revoke (RFC 7009), form `token=`: the caller (as for introspection) may
// revoke an issued token (opaque or JWT) it owns, or one of a user it may write
// (user.write in the owner's organization): user.token.removed on the owner's stream.
// 200 with an empty body whether or not there was such a token.
http::HttpResponse revoke(commands::Backend& b, const std::string& issuer,
                          const platform::SigningKeys& keys, const IntrospectionRequest& request,
                          const std::string& request_id);

http::HttpResponse introspect(commands::Backend& b, const std::string& issuer,
                              const platform::SigningKeys& keys,
                              const IntrospectionRequest& request);

}  // namespace mu::oauth
