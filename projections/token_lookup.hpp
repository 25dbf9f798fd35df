// Everything authentication needs to know about one personal access token, in one query:
// the token, its user (who must still exist) and every membership of that user.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/machine_user.hpp"
#include "domain/permissions.hpp"
#include "domain/time.hpp"

namespace mu::projections {

// A token as stored, with its user's state and organization. Expiry and state are not
// judged here: the caller decides what an expired token or a locked user means.
struct TokenGrant {
  std::string token_id;
  std::string user_id;
  std::string user_org;  // the user's resource owner
  domain::UserState user_state = domain::UserState::Unspecified;
  domain::Timestamp expiration{};
  std::vector<domain::Membership> memberships;  // ordered by scope
  // Whether the token may call the API: a PAT always, an issued token when its audience
  // holds our API ("zitadel").
  bool api_audience = true;

  friend bool operator==(const TokenGrant&, const TokenGrant&) = default;
};

// What introspection tells of a token (RFC 7662): any kind, with its owner.
struct TokenDetails {
  std::string kind;  // "pat", "bearer" (an opaque issued token) or "jwt"
  std::string token_id;
  std::string user_id;
  std::string user_org;
  std::string user_name;
  domain::UserState user_state = domain::UserState::Unspecified;
  domain::Timestamp expiration{};
  domain::Timestamp creation{};
  std::vector<std::string> audience;  // issued tokens
  std::vector<std::string> scopes;    // issued tokens
};

class TokenLookup {
 public:
  explicit TokenLookup(pqxx::connection_base& conn);  // prepares its statement

  // The grant of the token whose hex SHA-256 is token_hash_hex (lower case, as the PAT
  // events store it); nullopt when no such token exists (never issued, revoked) or its
  // user is gone. One prepared statement, one round trip.
  // A personal access token or an opaque issued token.
  std::optional<TokenGrant> find(pqxx::transaction_base& tx, const std::string& token_hash_hex);
  // An issued JWT by its id (jti), once its signature held: nullopt when no such token was
  // issued (or it is revoked, or its user gone).
  std::optional<TokenGrant> find_jwt(pqxx::transaction_base& tx, const std::string& token_id);
  // A PAT or opaque token by its hash, or an issued JWT by its id ("" for the one not asked).
  std::optional<TokenDetails> details(pqxx::transaction_base& tx, const std::string& token_hash_hex,
                                      const std::string& jwt_id);
  // A user's memberships, ordered by scope.
  std::vector<domain::Membership> memberships(pqxx::transaction_base& tx,
                                              const std::string& user_id);
};

}  // namespace mu::projections
