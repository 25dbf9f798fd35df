// POST /oauth/v2/introspect (RFC 7662) on a database worker. Ours (the contract): the caller
// is a machine user authenticated by client_secret_basic or a client_assertion; it learns of
// a token it owns, one whose audience names it, or one whose owner's organization it may
// read users of (user.read); of any other token, {"active":false}.
#pragma once

#include <optional>
#include <string>

#include "app/commands/backend.hpp"
#include "app/http/http_types.hpp"
#include "app/platform/signing_keys.hpp"

namespace mu::oauth {

struct IntrospectionRequest {
  std::optional<std::string> authorization;  // the Authorization header
  std::string body;                           // the form
};

http::HttpResponse introspect(commands::Backend& b, const std::string& issuer,
                              const platform::SigningKeys& keys,
                              const IntrospectionRequest& request);

}  // namespace mu::oauth
