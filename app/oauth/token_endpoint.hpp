// POST /oauth/v2/token on a database worker: authenticates the client (client_credentials
// by its secret, jwt-bearer by an assertion signed with one of its keys), then issues the
// access token as the command IssueToken on the user's stream (user.token.v2.added), whose
// decision on the write model refuses an inactive user or a removed secret or key.
#pragma once

#include <string>

#include "app/commands/backend.hpp"
#include "app/http/http_types.hpp"
#include "app/oauth/token_request.hpp"
#include "app/platform/signing_keys.hpp"

namespace mu::oauth {

struct TokenContext {
  std::string issuer;
  int lifetime_seconds = 12 * 3600;
  const platform::SigningKey* signing = nullptr;  // never null when called
  std::string request_id;
};

// A client that proved who it is: by its secret (client_secret_basic/post) or by an
// assertion signed with one of its keys (the token endpoint's jwt-bearer grant, and
// `client_assertion` for introspection).
struct AuthenticatedClient {
  std::string user_id;
  std::string owner;
  std::string client_id;              // as the request named it (user name or user id)
  std::optional<std::string> key_id;  // the key that signed the assertion
};
using ClientResult = domain::Expected<AuthenticatedClient, http::HttpResponse>;
ClientResult authenticate_by_secret(commands::Backend& b, const ClientCredentials& c);
ClientResult authenticate_by_assertion(commands::Backend& b, const std::string& issuer,
                                       const std::string& assertion, domain::Timestamp now);

// The answer: 200 {"access_token","token_type","expires_in","id_token"} or an OAuth error.
http::HttpResponse issue_token(commands::Backend& b, const TokenContext& ctx,
                               const TokenRequest& request);

}  // namespace mu::oauth
