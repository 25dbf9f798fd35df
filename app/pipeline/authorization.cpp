#include "app/pipeline/authorization.hpp"

#include <algorithm>

#include "app/platform/clock.hpp"
#include "app/platform/metrics.hpp"
#include "app/queries/read_models.hpp"
#include "domain/jwt.hpp"
#include "domain/permissions.hpp"
#include "domain/sha256.hpp"
#include "domain/unicode.hpp"

namespace mu::pipeline {

namespace {

using domain::Error;

// An issued JWT's grant: its signature by one of our keys (chosen by its kid), then the
// token by its jti (revocation, the user's current state and roles). The JWT's own exp is
// the row's expiration, which the caller checks.
domain::Result<std::optional<projections::TokenGrant>> jwt_grant(
    commands::Backend& b, const std::string& token, const platform::SigningKeys* keys) {
  if (!keys) return std::optional<projections::TokenGrant>();
  auto jwt = domain::parse_jwt(token);
  if (!jwt.ok() || !jwt->kid) return std::optional<projections::TokenGrant>();
  const auto* key = keys->find(*jwt->kid);
  if (!key || domain::verify_rs256(*jwt, key->key)) return std::optional<projections::TokenGrant>();
  auto jti = jwt->claims.find("jti");
  if (jti == jwt->claims.end() || !jti->is_string())
    return std::optional<projections::TokenGrant>();
  return queries::find_issued_jwt(b.db, jti->get<std::string>());
}

// The token's grant (null: no such token), from the cache or with one query. The cache is
// keyed by the SHA-256 of what the caller sent, also for a JWT: the same bytes verify the
// same way.
domain::Result<commands::AuthCache::Grant> grant_of(commands::Backend& b, const std::string& token,
                                                    const platform::SigningKeys* keys) {
  const auto hash = domain::sha256_hex(token);
  if (auto cached = b.auth_cache.find(hash)) {
    ++platform::metrics().auth_cache_hits;
    return std::move(*cached);
  }
  ++platform::metrics().auth_cache_misses;
  const auto generation = b.auth_cache.generation();  // before the read: see remember()
  // A JWT has two dots; personal access tokens and opaque tokens have none.
  const bool jwt = std::count(token.begin(), token.end(), '.') == 2;
  auto found = jwt ? jwt_grant(b, token, keys) : queries::find_token(b.db, hash);
  if (!found.ok()) return found.error();
  commands::AuthCache::Grant grant;
  if (*found) grant = std::make_shared<const projections::TokenGrant>(std::move(**found));
  b.auth_cache.remember(hash, grant, generation);
  return grant;
}

domain::Result<bool> org_exists(commands::Backend& b, const std::string& org_id) {
  // No organization has such an id, and the database must not be asked about it.
  if (domain::identifier_problem(org_id, 200)) return false;
  if (b.auth_cache.org_known(org_id)) return true;
  auto org = queries::find_org(b.db, org_id);
  if (!org.ok()) return org.error();
  if (!*org) return false;
  b.auth_cache.remember_org(org_id);
  return true;
}

}  // namespace

std::optional<std::string> bearer_token(std::string_view header) {
  constexpr std::string_view kScheme = "bearer ";
  if (header.size() <= kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  auto token = header.substr(kScheme.size());
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
  if (token.empty() || token.find(' ') != std::string_view::npos) return std::nullopt;
  return std::string(token);
}

domain::Result<api::CallContext> authorize(commands::Backend& b, const Credentials& c,
                                           std::string_view permission,
                                           const platform::SigningKeys* token_keys) {
  if (!c.authorization || c.authorization->empty()) {
    return Error{domain::Code::Unauthenticated, "AUTH-7fs1e", "auth header missing"};
  }
  auto token = bearer_token(*c.authorization);
  if (!token) return domain::unauthenticated();

  auto found = grant_of(b, *token, token_keys);
  if (!found.ok()) return found.error();
  const auto& grant = *found;
  // Unknown and revoked tokens, expired ones, and callers who are locked,
  // deactivated or removed all look alike from outside.
  if (!grant || grant->expiration <= platform::now() ||
      grant->user_state != domain::UserState::Active || !grant->api_audience) {
    return domain::unauthenticated();
  }
  const auto& memberships = grant->memberships;
  const std::string& org = c.org_id && !c.org_id->empty() ? *c.org_id : grant->user_org;
  if (!domain::has_permission(memberships, org, permission)) return domain::permission_denied();
  // Only an instance-wide role lets a caller name an organization it does not
  // belong to; that organization must exist.
  if (org != grant->user_org) {
    auto exists = org_exists(b, org);
    if (!exists.ok()) return exists.error();
    if (!*exists) return Error{domain::Code::NotFound, "AUTH-Bs7Ds", "Organisation not found"};
  }
  const bool instance_wide =
      domain::has_permission(memberships, domain::kInstanceScope, permission);
  return api::CallContext{org, grant->user_id, instance_wide};
}

}  // namespace mu::pipeline
