#include "app/oauth/introspection.hpp"

#include <algorithm>

#include "app/commands/command_runner.hpp"
#include "app/oauth/oauth_endpoints.hpp"
#include "app/oauth/token_endpoint.hpp"
#include "app/platform/clock.hpp"
#include "app/queries/read_models.hpp"
#include "domain/form_urlencoded.hpp"
#include "domain/jwt.hpp"
#include "domain/machine_credentials.hpp"
#include "domain/permissions.hpp"
#include "domain/sha256.hpp"

namespace mu::oauth {

namespace {

constexpr std::string_view kAssertionType =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

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

long long seconds(domain::Timestamp t) {
  return domain::to_unix_micros(t) / 1000000;
}

}  // namespace

ClientResult authenticate_caller(commands::Backend& b, const std::string& issuer,
                                 const std::optional<std::string>& authorization,
                                 const domain::FormFields& form, domain::Timestamp now) {
  auto field = [&](std::string_view name) -> const std::string* {
    auto it = form.find(name);
    return it == form.end() ? nullptr : &it->second;
  };
  using Refusal = domain::Unexpected<http::HttpResponse>;
  const std::string* assertion_type = field("client_assertion_type");
  const std::string* assertion = field("client_assertion");
  std::optional<ClientResult> caller;
  if (authorization && (assertion_type || assertion)) {
    return Refusal(oauth_error(400, "invalid_request", "two client authentications at once"));
  }
  if (authorization) {
    auto basic = domain::parse_basic_credentials(*authorization);
    if (!basic.ok()) {
      return Refusal(oauth_error(400, "invalid_request",
                                 "the Authorization header is no client_secret_basic"));
    }
    ClientCredentials credentials{basic->client_id, basic->client_secret};
    if (credentials.client_secret && credentials.client_secret->empty()) {
      credentials.client_secret.reset();
    }
    caller = authenticate_by_secret(b, credentials);
  } else if (assertion_type || assertion) {
    if (!assertion_type || *assertion_type != kAssertionType || !assertion) {
      return Refusal(oauth_error(400, "invalid_client",
                                 "client_assertion_type must be " + std::string(kAssertionType)));
    }
    caller = authenticate_by_assertion(b, issuer, *assertion, now);
  } else {
    return Refusal(oauth_error(400, "invalid_client", "no client authentication"));
  }
  if (!caller->ok()) {
    const auto& refused = caller->error();
    if (refused.status >= 500) return Refusal(refused);
    return Refusal(oauth_error(401, "invalid_client", "client authentication failed"));
  }
  return *caller;
}

std::optional<std::pair<std::string, std::string>> token_keys_of(
    const std::string& token, const platform::SigningKeys& keys) {
  if (std::count(token.begin(), token.end(), '.') != 2) {
    return std::pair<std::string, std::string>{domain::sha256_hex(token), ""};
  }
  auto jwt = domain::parse_jwt(token);
  if (!jwt.ok() || !jwt->kid) return std::nullopt;
  const auto* key = keys.find(*jwt->kid);
  if (!key || domain::verify_rs256(*jwt, key->key)) return std::nullopt;
  auto id = jwt->claims.find("jti");
  if (id == jwt->claims.end() || !id->is_string()) return std::nullopt;
  return std::pair<std::string, std::string>{"", id->get<std::string>()};
}

http::HttpResponse revoke(commands::Backend& b, const std::string& issuer,
                          const platform::SigningKeys& keys, const IntrospectionRequest& request,
                          const std::string& request_id) {
  auto form = domain::parse_form(request.body);
  if (!form.ok()) {
    return oauth_error(400, "invalid_request",
                       "the form is malformed: " + std::string(domain::describe(form.error())));
  }
  auto caller = authenticate_caller(b, issuer, request.authorization, *form, platform::now());
  if (!caller.ok()) return caller.error();
  auto token = form->find("token");
  if (token == form->end() || token->second.empty()) {
    return oauth_error(400, "invalid_request", "token missing");
  }
  http::HttpResponse done;  // RFC 7009 §2.2: 200 whether or not there was such a token
  done.content_type = "text/plain; charset=utf-8";
  auto lookup = token_keys_of(token->second, keys);
  if (!lookup) return done;
  auto found = queries::token_details(b.db, lookup->first, lookup->second);
  if (!found.ok()) return unavailable(found.error());
  // Only issued tokens; a PAT is removed with RemovePersonalAccessToken.
  if (!*found || (*found)->kind == "pat") return done;
  const auto& d = **found;
  bool allowed = caller->user_id == d.user_id;
  if (!allowed) {
    auto memberships = queries::memberships_of(b.db, caller->user_id);
    if (!memberships.ok()) return unavailable(memberships.error());
    allowed = domain::has_permission(*memberships, d.user_org, "user.write");
  }
  if (!allowed) return done;
  auto out = commands::run_user_command(
      b,
      {d.user_id, d.user_org, caller->user_id, std::nullopt, nullptr,
       domain::Origin{"oauth/v2/revoke", "rest", request_id}},
      [&](const domain::MachineUser& u) {
        return domain::decide(u, domain::RevokeToken{d.user_id, d.token_id});
      });
  if (!out.ok() && out.error().code != domain::Code::FailedPrecondition) {
    return unavailable(out.error());
  }
  return done;
}

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
  auto caller = authenticate_caller(b, issuer, request.authorization, *form, now);
  if (!caller.ok()) return caller.error();
  const auto& client = *caller;

  const std::string* token = field("token");
  if (!token || token->empty()) return oauth_error(400, "invalid_request", "token missing");

  // The token: an issued JWT by its jti once our signature holds, else by its hash.
  auto lookup = token_keys_of(*token, keys);
  if (!lookup) return inactive();
  auto found = queries::token_details(b.db, lookup->first, lookup->second);
  if (!found.ok()) return unavailable(found.error());
  if (!*found) return inactive();
  const auto& d = **found;
  if (d.user_state != domain::UserState::Active || d.expiration <= now) return inactive();

  // May the caller know?
  bool allowed = client.user_id == d.user_id || std::find(d.audience.begin(), d.audience.end(),
                                                          client.user_id) != d.audience.end();
  if (!allowed) {
    auto memberships = queries::memberships_of(b.db, client.user_id);
    if (!memberships.ok()) return unavailable(memberships.error());
    allowed = domain::has_permission(*memberships, d.user_org, "user.read");
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
