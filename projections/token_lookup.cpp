#include "projections/token_lookup.hpp"

#include <nlohmann/json.hpp>

#include "projections/auth_projections.hpp"

namespace mu::projections {
namespace {

constexpr const char* kFind = "mu_token_lookup_find";

// The inner join drops tokens whose user was removed (user.removed deletes the tokens as
// well; the join also covers a users read model that is ahead of the pats one). The
// memberships come aggregated as JSON: one row whatever their number.
constexpr const char* kFindSql =
    "SELECT p.token_id, p.user_id, u.owner, u.state, "
    "(extract(epoch FROM p.expiration) * 1000000)::bigint, "
    "(SELECT coalesce(json_agg(json_build_object('scope', m.scope, 'roles', m.roles) "
    "ORDER BY m.scope), '[]') FROM members_read_model m WHERE m.user_id = p.user_id) "
    "FROM pats_read_model p JOIN users_read_model u ON u.id = p.user_id "
    "WHERE p.token_hash = $1";

}  // namespace

TokenLookup::TokenLookup(pqxx::connection_base& conn) {
  conn.prepare(kFind, kFindSql);
}

std::optional<TokenGrant> TokenLookup::find(pqxx::transaction_base& tx,
                                            const std::string& token_hash_hex) {
  const auto result = tx.exec_prepared(kFind, token_hash_hex);
  if (result.empty()) return std::nullopt;
  const auto& row = result[0];
  TokenGrant grant;
  grant.token_id = row[0].as<std::string>();
  grant.user_id = row[1].as<std::string>();
  grant.user_org = row[2].as<std::string>();
  grant.user_state = static_cast<domain::UserState>(row[3].as<int>());
  grant.expiration = domain::from_unix_micros(row[4].as<long long>());
  grant.memberships = memberships_from_json(nlohmann::json::parse(row[5].as<std::string>()));
  return grant;
}

}  // namespace mu::projections
