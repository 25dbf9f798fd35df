#include "app/oauth/introspection.hpp"

#include <algorithm>

#include "app/oauth/oauth_endpoints.hpp"
#include "app/oauth/token_endpoint.hpp"
#include "app/platform/clock.hpp"
#include "app/queries/read_models.hpp"
#include "domain/form_urlencoded.hpp"
#include "domain/jwt.hpp"
#include "domain/permissions.hpp"
#include "domain/sha256.hpp"

namespace mu::oauth {

namespace {

constexpr std::string_view kAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

http::HttpResponse inactive() {
  http::HttpResponse res;
  res.body = R"({"active":false})";
  res.headers["cache-control"] = "no-store";
  return res;
}

http::HttpResponse unavailable(const domain::Error& e) {
  if (e.code == domain::Code::Unavailable || e.code == domain::Code::ResourceExhausted) {
    return oauth_error(503, "temporarily_unavailable", e.message);
  }
  return oauth_error(500, "server_error", "the token could not be introspected");
}

long long seconds(domain::Timestamp t) { return domain::to_unix_micros(t) / 1000000; }

}  // namespace

http::HttpResponse introspect(commands::Backend& b, const std::string& issuer,
                              const platform::SigningKeys& keys,
                              const IntrospectionRequest& request) {
  auto form = domain::parse_form(request.body);
  if (!form.ok()) {
    return oauth_error(400, "invalid_request",
                       "the form is malformed: " + std::string(domain::describe(form.error())));
  }
  auto field = [&](std::string_view name) -> const std::string* {
    auto it = form->find(name);
    return it == form->end() ? nullptr : &it->second;
  };
  const auto now = platform::now();

  // The caller.
  const std::string* assertion_type = field("client_assertion_type");
  const std::string* assertion = field("client_assertion");
  std::optional<ClientResult> caller;
  if (request.authorization && (assertion_type || assertion)) {
    return oauth_error(400, "invalid_request", "two client authentications at once");
  }
  if (request.authorization) {
    auto basic = domain::parse_basic_credentials(*request.authorization);
    if (!basic.ok()) return oauth_error(400, "invalid_request", "the Authorization header is no client_secret_basic");
    ClientCredentials credentials{basic->client_id, basic->client_secret};
    if (credentials.client_secret && credentials.client_secret->empty()) credentials.client_secret.reset();
    caller = authenticate_by_secret(b, credentials);
  } else if (assertion_type || assertion) {
    if (!assertion_type || *assertion_type != kAssertionType || !assertion) {
      return oauth_error(400, "invalid_client", "client_assertion_type must be " +
                                                    std::string(kAssertionType));
    }
    caller = authenticate_by_assertion(b, issuer, *assertion, now);
  } else {
    return oauth_error(400, "invalid_client", "no client authentication");
  }
  if (!caller->ok()) {
    const auto& refused = caller->error();
    if (refused.status >= 500) return refused;
    return oauth_error(401, "invalid_client", "client authentication failed");
  }
  const auto& client = **caller;

  const std::string* token = field("token");
  if (!token || token->empty()) return oauth_error(400, "invalid_request", "token missing");

  // The token: an issued JWT by its jti once our signature holds, else by its hash.
  std::string hash, jti;
  if (std::count(token->begin(), token->end(), '.') == 2) {
    auto jwt = domain::parse_jwt(*token);
    if (!jwt.ok() || !jwt->kid) return inactive();
    const auto* key = keys.find(*jwt->kid);
    if (!key || domain::verify_rs256(*jwt, key->key)) return inactive();
    auto id = jwt->claims.find("jti");
    if (id == jwt->claims.end() || !id->is_string()) return inactive();
    jti = id->get<std::string>();
  } else {
    hash = domain::sha256_hex(*token);
  }
  auto found = queries::token_details(b.db, hash, jti);
  if (!found.ok()) return unavailable(found.error());
  if (!*found) return inactive();
  const auto& d = **found;
  if (d.user_state != domain::UserState::Active || d.expiration <= now) return inactive();

  // May the caller know?
  bool allowed = client.user_id == d.user_id ||
                 std::find(d.audience.begin(), d.audience.end(), client.user_id) != d.audience.end();
  if (!allowed) {
    auto memberships = queries::memberships_of(b.db, client.user_id);
    if (!memberships.ok()) return unavailable(memberships.error());
    allowed = domain::has_permission(domain::Caller{client.user_id, client.owner, *memberships},
                                     d.user_org, "user.read");
  }
  if (!allowed) return inactive();

  std::string scope;
  for (const auto& s : d.scopes) scope += (scope.empty() ? "" : " ") + s;
  nlohmann::json body{{"active", true},
                      {"token_type", "Bearer"},
                      {"client_id", d.user_name},
                      {"username", d.user_name},
                      {"sub", d.user_id},
                      {"iss", issuer},
                      {"jti", d.token_id},
                      {"iat", seconds(d.creation)},
                      {"nbf", seconds(d.creation)},
                      {"exp", seconds(d.expiration)}};
  if (!scope.empty()) body["scope"] = scope;
  if (!d.audience.empty()) body["aud"] = d.audience;
  http::HttpResponse res;
  res.body = body.dump();
  res.headers["cache-control"] = "no-store";
  return res;
}

}  // namespace mu::oauth
