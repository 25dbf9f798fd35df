#include "app/oauth/token_endpoint.hpp"

#include <algorithm>

#include "app/commands/command_runner.hpp"
#include "app/oauth/oauth_endpoints.hpp"
#include "app/oauth/public_key_cache.hpp"
#include "app/platform/clock.hpp"
#include "app/platform/off_io_thread.hpp"
#include "app/platform/random_token.hpp"
#include "app/queries/read_models.hpp"
#include "domain/assertion_claims.hpp"
#include "domain/client_secret.hpp"
#include "domain/jwt.hpp"
#include "domain/machine_credentials.hpp"
#include "domain/sha256.hpp"

namespace mu::oauth {

namespace {

using Client = AuthenticatedClient;
using Authenticated = ClientResult;

http::HttpResponse server_error(const domain::Error& e) {
  if (e.code == domain::Code::Unavailable || e.code == domain::Code::ResourceExhausted) {
    return oauth_error(503, "temporarily_unavailable", e.message);
  }
  return oauth_error(500, "server_error", "the token could not be issued");
}

Authenticated refused(int status, std::string_view error, std::string_view description) {
  return domain::Unexpected<http::HttpResponse>(oauth_error(status, error, description));
}

}  // namespace

Authenticated authenticate_by_secret(commands::Backend& b, const ClientCredentials& c) {
  auto clients = queries::find_clients(b.db, c.client_id);
  if (!clients.ok()) return domain::Unexpected<http::HttpResponse>(server_error(clients.error()));
  if (clients->empty()) return refused(400, "invalid_client", "Errors.User.NotFound");
  const bool any_secret = std::any_of(clients->begin(), clients->end(),
                                      [](const auto& v) { return v.secret_hash.has_value(); });
  if (!any_secret) {
    return refused(400, "invalid_request", "Errors.User.Machine.Secret.NotExisting");
  }
  if (!c.client_secret)
    return refused(400, "invalid_request", "Errors.User.Machine.Secret.Invalid");
  for (const auto& v : *clients) {
    if (v.secret_hash && domain::client_secret_matches(*c.client_secret, *v.secret_hash)) {
      return Client{v.user_id, v.owner, c.client_id, std::nullopt};
    }
  }
  return refused(400, "invalid_request", "Errors.User.Machine.Secret.Invalid");
}

// RFC 7523 §3.1: every failure of the assertion is invalid_grant.
Authenticated authenticate_by_assertion(commands::Backend& b, const std::string& issuer,
                                        const std::string& assertion, domain::Timestamp now) {
  auto jwt = domain::parse_jwt(assertion);
  if (!jwt.ok()) {
    return refused(400, "invalid_grant",
                   "the assertion is no JWT: " + std::string(domain::describe(jwt.error())));
  }
  auto claims = domain::check_assertion_claims(jwt->claims, issuer, now);
  if (!claims.ok()) {
    return refused(400, "invalid_grant", std::string(domain::describe(claims.error())));
  }
  if (!jwt->kid || jwt->kid->empty())
    return refused(400, "invalid_grant", "the assertion names no kid");
  auto key = queries::find_machine_key(b.db, claims->subject, *jwt->kid);
  if (!key.ok()) return domain::Unexpected<http::HttpResponse>(server_error(key.error()));
  if (!*key || (*key)->expiration <= now) {
    return refused(400, "invalid_grant", "Errors.User.Machine.Key.NotFound");
  }
  auto public_key = cached_public_key((*key)->public_key);
  if (!public_key.ok()) return refused(400, "invalid_grant", "Errors.User.Machine.Key.NotFound");
  if (auto bad = domain::verify_rs256(*jwt, *public_key)) {
    return refused(400, "invalid_grant", std::string(domain::describe(*bad)));
  }
  return Client{claims->subject, (*key)->owner, claims->subject, *jwt->kid};
}

namespace {

long long unix_seconds(domain::Timestamp t) {
  return domain::to_unix_micros(t) / 1000000;
}

}  // namespace

http::HttpResponse issue_token(commands::Backend& b, const TokenContext& ctx,
                               const TokenRequest& request) {
  const auto now = platform::now();
  auto client = std::holds_alternative<ClientCredentials>(request.grant)
                    ? authenticate_by_secret(b, std::get<ClientCredentials>(request.grant))
                    : authenticate_by_assertion(b, ctx.issuer,
                                                std::get<JwtBearer>(request.grant).assertion, now);
  if (!client.ok()) return client.error();

  // Whole seconds, as the JWTs say them.
  const auto issued_at = domain::from_unix_micros(unix_seconds(now) * 1000000);
  const auto expires_at =
      issued_at + std::chrono::seconds(static_cast<long long>(ctx.lifetime_seconds));
  // The token's audience: the client itself, then what the audience scopes named.
  std::vector<std::string> audience{client->user_id};
  for (const auto& a : request.audience) {
    if (std::find(audience.begin(), audience.end(), a) == audience.end()) audience.push_back(a);
  }
  std::string scope;
  for (const auto& s : request.scopes) scope += (scope.empty() ? "" : " ") + s;

  const std::string token_id = b.ids.next();
  std::string access_token;
  auto out = commands::run_user_command(
      b,
      {client->user_id, client->owner, client->user_id, std::nullopt, nullptr,
       domain::Origin{"oauth/v2/token", "rest", ctx.request_id}},
      [&](const domain::MachineUser& u) -> domain::Result<std::vector<domain::NewEvent>> {
        domain::IssueToken cmd{client->user_id, token_id,       u.access_token_type,
                               std::nullopt,    expires_at,     audience,
                               request.scopes,  client->key_id, now};
        if (u.access_token_type == domain::AccessTokenType::Jwt) {
          nlohmann::json claims{{"iss", ctx.issuer},
                                {"sub", client->user_id},
                                {"aud", audience},
                                {"exp", unix_seconds(expires_at)},
                                {"iat", unix_seconds(issued_at)},
                                {"nbf", unix_seconds(issued_at)},
                                {"jti", token_id},
                                {"client_id", client->client_id},
                                {"scope", scope}};
          auto signed_token = platform::off_io_thread([&] {
            return domain::sign_rs256(nlohmann::json{{"typ", "JWT"}, {"kid", ctx.signing->kid}},
                                      claims, ctx.signing->key);
          });
          if (!signed_token.ok()) {
            return domain::Error{domain::Code::Internal, "OIDC-sign",
                                 "the token could not be signed"};
          }
          access_token = std::move(*signed_token);
        } else {
          // base64url: no dots, so never taken for a JWT.
          access_token = platform::random_token();
          cmd.token_hash = domain::sha256_hex(access_token);
        }
        return domain::decide(u, cmd);
      });
  if (!out.ok()) {
    if (out.error().code == domain::Code::FailedPrecondition) {
      return oauth_error(400, "invalid_grant", out.error().message);
    }
    return server_error(out.error());
  }

  nlohmann::json body{{"access_token", access_token},
                      {"token_type", "Bearer"},
                      {"expires_in", ctx.lifetime_seconds}};
  // The scope is always there: openid is required.
  nlohmann::json id_claims{{"iss", ctx.issuer},
                           {"sub", client->user_id},
                           {"aud", nlohmann::json::array({client->client_id})},
                           {"exp", unix_seconds(expires_at)},
                           {"iat", unix_seconds(issued_at)}};
  auto id_token = platform::off_io_thread([&] {
    return domain::sign_rs256(nlohmann::json{{"typ", "JWT"}, {"kid", ctx.signing->kid}}, id_claims,
                              ctx.signing->key);
  });
  if (!id_token.ok()) return oauth_error(500, "server_error", "the id token could not be signed");
  body["id_token"] = std::move(*id_token);
  body["scope"] = scope;
  http::HttpResponse res;
  res.body = body.dump();
  res.headers["cache-control"] = "no-store";
  res.headers["pragma"] = "no-cache";
  return res;
}

}  // namespace mu::oauth
