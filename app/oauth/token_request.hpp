// What a token request (RFC 6749 §4.4, RFC 7523 §2.1) asks for, read from its form body and
// Authorization header before anything is looked up: the grant, the client's credentials,
// the scopes. Pure: the checks against the read models come after.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/expected.hpp"

namespace mu::oauth {

inline constexpr std::string_view kJwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";
// A scope `urn:zitadel:iam:org:project:id:<X>:aud` puts X in the token's audience; our API's
// X is "zitadel" (the scope @zitadel/node asks for).
inline constexpr std::string_view kAudienceScopePrefix = "urn:zitadel:iam:org:project:id:";
inline constexpr std::string_view kAudienceScopeSuffix = ":aud";
inline constexpr std::string_view kApiAudience = "zitadel";
inline constexpr std::string_view kApiAudienceScope = "urn:zitadel:iam:org:project:id:zitadel:aud";

// An OAuth error answer: {"error", "error_description"} with an HTTP status.
struct OAuthError {
  int status = 400;
  std::string error;  // invalid_request, invalid_client, invalid_grant, ...
  std::string description;

  friend bool operator==(const OAuthError&, const OAuthError&) = default;
};

// grant_type=client_credentials, by client_secret_basic or client_secret_post.
struct ClientCredentials {
  std::string client_id;
  std::optional<std::string> client_secret;  // none: refused once the client is known
  friend bool operator==(const ClientCredentials&, const ClientCredentials&) = default;
};

// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer with its assertion.
struct JwtBearer {
  std::string assertion;
  friend bool operator==(const JwtBearer&, const JwtBearer&) = default;
};

struct TokenRequest {
  std::variant<ClientCredentials, JwtBearer> grant;
  // The scopes we know, in the order asked, each once ("openid" among them); unknown
  // ones are dropped.
  std::vector<std::string> scopes;
  // What the audience scopes name, in the order asked, each once.
  std::vector<std::string> audience;
  bool api_audience = false;  // kApiAudienceScope asked for

  friend bool operator==(const TokenRequest&, const TokenRequest&) = default;
};

// Reads a POST to the token endpoint: `authorization` is the header (if any), `body` the
// form. Refusals as the contract's table: a malformed form, no grant_type, both Basic and
// client_secret_post, no assertion → invalid_request; an unknown grant_type →
// unsupported_grant_type; no client_id at all → invalid_client; a scope without "openid" →
// invalid_scope.
domain::Expected<TokenRequest, OAuthError> read_token_request(
    const std::optional<std::string>& authorization, std::string_view body);

}  // namespace mu::oauth
