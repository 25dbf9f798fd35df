#include "projections/token_lookup.hpp"

#include <nlohmann/json.hpp>

#include "projections/auth_projections.hpp"

namespace mu::projections {
namespace {

constexpr const char* kFind = "mu_token_lookup_find";
constexpr const char* kFindJwt = "mu_token_lookup_find_jwt";
constexpr const char* kDetails = "mu_token_lookup_details";
constexpr const char* kMemberships = "mu_token_lookup_memberships";

constexpr const char* kDetailsSql =
    "SELECT x.kind, x.token_id, x.user_id, u.owner, u.user_name, u.state, "
    "(extract(epoch FROM x.expiration) * 1000000)::bigint, "
    "(extract(epoch FROM x.creation_date) * 1000000)::bigint, x.audience::text, x.scopes::text "
    "FROM (SELECT 'pat' AS kind, p.token_id, p.user_id, p.expiration, p.creation_date, "
    "'[]'::jsonb AS audience, '[]'::jsonb AS scopes FROM pats_read_model p "
    "WHERE p.token_hash = $1 UNION ALL "
    "SELECT CASE t.token_type WHEN 1 THEN 'jwt' ELSE 'bearer' END, t.token_id, t.user_id, "
    "t.expiration, t.creation_date, t.audience, t.scopes FROM issued_tokens_read_model t "
    "WHERE t.token_hash = $1 OR (t.token_id = $2 AND t.token_type = 1)) x "
    "JOIN users_read_model u ON u.id = x.user_id LIMIT 1";

constexpr const char* kMembershipsSql =
    "SELECT coalesce(json_agg(json_build_object('scope', m.scope, 'roles', m.roles) "
    "ORDER BY m.scope), '[]') FROM members_read_model m WHERE m.user_id = $1";

std::vector<std::string> strings_of(const std::string& json_text) {
  std::vector<std::string> out;
  const auto parsed = nlohmann::json::parse(json_text, nullptr, false);
  if (!parsed.is_array()) return out;
  for (const auto& v : parsed) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

#define MU_TOKEN_MEMBERSHIPS(ALIAS)                                                      \
  "(SELECT coalesce(json_agg(json_build_object('scope', m.scope, 'roles', m.roles) "      \
  "ORDER BY m.scope), '[]') FROM members_read_model m WHERE m.user_id = " ALIAS ".user_id)"

// An issued token (issued_tokens_read_model): our API must be in its audience to call it.
#define MU_ISSUED_TOKEN_SELECT                                                            \
  "SELECT t.token_id, t.user_id, u.owner, u.state, "                                      \
  "(extract(epoch FROM t.expiration) * 1000000)::bigint, " MU_TOKEN_MEMBERSHIPS("t")      \
  ", t.audience ? 'zitadel' FROM issued_tokens_read_model t "                             \
  "JOIN users_read_model u ON u.id = t.user_id "

// The inner join drops tokens whose user was removed (user.removed deletes the tokens as
// well; the join also covers a users read model that is ahead of the pats one). The
// memberships come aggregated as JSON: one row whatever their number.
constexpr const char* kFindSql =
    "SELECT p.token_id, p.user_id, u.owner, u.state, "
    "(extract(epoch FROM p.expiration) * 1000000)::bigint, " MU_TOKEN_MEMBERSHIPS("p")
    ", true FROM pats_read_model p JOIN users_read_model u ON u.id = p.user_id "
    "WHERE p.token_hash = $1 "
    "UNION ALL " MU_ISSUED_TOKEN_SELECT "WHERE t.token_hash = $1";

constexpr const char* kFindJwtSql = MU_ISSUED_TOKEN_SELECT "WHERE t.token_id = $1 AND t.token_type = 1";

TokenGrant grant_from(const pqxx::row& row) {
  TokenGrant grant;
  grant.token_id = row[0].as<std::string>();
  grant.user_id = row[1].as<std::string>();
  grant.user_org = row[2].as<std::string>();
  grant.user_state = static_cast<domain::UserState>(row[3].as<int>());
  grant.expiration = domain::from_unix_micros(row[4].as<long long>());
  grant.memberships = memberships_from_json(nlohmann::json::parse(row[5].as<std::string>()));
  grant.api_audience = row[6].as<bool>();
  return grant;
}

}  // namespace

TokenLookup::TokenLookup(pqxx::connection_base& conn) {
  conn.prepare(kFind, kFindSql);
  conn.prepare(kFindJwt, kFindJwtSql);
  conn.prepare(kDetails, kDetailsSql);
  conn.prepare(kMemberships, kMembershipsSql);
}

std::optional<TokenDetails> TokenLookup::details(pqxx::transaction_base& tx,
                                                 const std::string& token_hash_hex,
                                                 const std::string& jwt_id) {
  const auto result = tx.exec_prepared(kDetails, token_hash_hex, jwt_id);
  if (result.empty()) return std::nullopt;
  const auto& row = result[0];
  TokenDetails d;
  d.kind = row[0].as<std::string>();
  d.token_id = row[1].as<std::string>();
  d.user_id = row[2].as<std::string>();
  d.user_org = row[3].as<std::string>();
  d.user_name = row[4].as<std::string>();
  d.user_state = static_cast<domain::UserState>(row[5].as<int>());
  d.expiration = domain::from_unix_micros(row[6].as<long long>());
  d.creation = domain::from_unix_micros(row[7].as<long long>());
  d.audience = strings_of(row[8].as<std::string>());
  d.scopes = strings_of(row[9].as<std::string>());
  return d;
}

std::vector<domain::Membership> TokenLookup::memberships(pqxx::transaction_base& tx,
                                                         const std::string& user_id) {
  const auto result = tx.exec_prepared(kMemberships, user_id);
  return memberships_from_json(nlohmann::json::parse(result[0][0].as<std::string>()));
}

std::optional<TokenGrant> TokenLookup::find(pqxx::transaction_base& tx,
                                            const std::string& token_hash_hex) {
  const auto result = tx.exec_prepared(kFind, token_hash_hex);
  if (result.empty()) return std::nullopt;
  return grant_from(result[0]);
}

std::optional<TokenGrant> TokenLookup::find_jwt(pqxx::transaction_base& tx,
                                                const std::string& token_id) {
  const auto result = tx.exec_prepared(kFindJwt, token_id);
  if (result.empty()) return std::nullopt;
  return grant_from(result[0]);
}

}  // namespace mu::projections
