#include "projections/auth_projections.hpp"
#include "domain/base64url.hpp"

#include <algorithm>
#include <string_view>

#include "domain/machine_user.hpp"
#include "domain/org.hpp"
#include "domain/sha256.hpp"

namespace mu::projections {
namespace {

namespace et = domain::event_type;

constexpr const char* kOrgAdded = "mu_auth_org_added";
constexpr const char* kMemberAdded = "mu_auth_member_added";
constexpr const char* kMemberChanged = "mu_auth_member_changed";
constexpr const char* kMemberRemoved = "mu_auth_member_removed";
constexpr const char* kPatAdded = "mu_auth_pat_added";
constexpr const char* kPatRemoved = "mu_auth_pat_removed";
constexpr const char* kUserRemoved = "mu_auth_user_removed";
constexpr const char* kKeyAdded = "mu_auth_key_added";
constexpr const char* kKeyRemoved = "mu_auth_key_removed";
constexpr const char* kTokenIssued = "mu_auth_token_issued";
constexpr const char* kTokenRevoked = "mu_auth_token_revoked";
constexpr const char* kSecretSet = "mu_auth_secret_set";
constexpr const char* kSecretRemoved = "mu_auth_secret_removed";
constexpr const char* kAdvance = "mu_auth_advance";
constexpr const char* kInlineCheckpoint = "mu_auth_inline_checkpoint";
constexpr const char* kFindOrg = "mu_auth_find_org";
constexpr const char* kFindOrgByName = "mu_auth_find_org_by_name";
constexpr const char* kMembershipsOf = "mu_auth_memberships_of";

// Timestamps travel as microseconds since the epoch (see users_projection.cpp): exact,
// unlike to_timestamp's double.
#define MU_TS(n) "'epoch'::timestamptz + $" #n "::bigint * interval '1 microsecond'"
#define MU_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

constexpr const char* kOrgAddedSql =
    "INSERT INTO orgs_read_model (id, name, state, creation_date, change_date, sequence, position) "
    "VALUES ($1, $2, 1, " MU_TS(3) ", " MU_TS(3) ", $4, $5) ON CONFLICT (id) DO NOTHING";

// Roles arrive as the payload's JSON array ($3), kept in their order. libpqxx 6 has no
// array parameters; a JSON text is one parameter of a type it knows.
#define MU_ROLES                                                                         \
  "ARRAY(SELECT r FROM jsonb_array_elements_text($3::jsonb) WITH ORDINALITY AS t(r, i) " \
  "ORDER BY i)"

// An added member whose row exists takes the event's roles unless the row is newer.
constexpr const char* kMemberAddedSql =
    "INSERT INTO members_read_model (scope, user_id, roles, creation_date, change_date, sequence) "
    "VALUES ($1, $2, " MU_ROLES ", " MU_TS(4) ", " MU_TS(4) ", $5) "
    "ON CONFLICT (scope, user_id) DO UPDATE SET roles = excluded.roles, "
    "change_date = excluded.change_date, sequence = excluded.sequence "
    "WHERE members_read_model.sequence < excluded.sequence";

// An update only: a change must not bring back a membership that user.removed deleted.
constexpr const char* kMemberChangedSql =
    "UPDATE members_read_model SET roles = " MU_ROLES ", change_date = " MU_TS(4) ", sequence = $5 "
    "WHERE scope = $1 AND user_id = $2 AND sequence < $5";

constexpr const char* kMemberRemovedSql =
    "DELETE FROM members_read_model WHERE scope = $1 AND user_id = $2 AND sequence < $3";

// No conflict target: a token hash or a token id seen before means the event was reduced.
constexpr const char* kPatAddedSql =
    "INSERT INTO pats_read_model (token_hash, token_id, user_id, expiration, creation_date, "
    "sequence) VALUES ($1, $2, $3, " MU_TS(4) ", " MU_TS(5) ", $6) ON CONFLICT DO NOTHING";

constexpr const char* kPatRemovedSql =
    "DELETE FROM pats_read_model WHERE user_id = $1 AND token_id = $2 AND sequence < $3";

// A token id seen before means the event was reduced.
constexpr const char* kTokenIssuedSql =
    "INSERT INTO issued_tokens_read_model (token_id, user_id, owner, token_type, token_hash, "
    "expiration, audience, scopes, creation_date, sequence) VALUES ($1, $2, $3, $4::smallint, "
    "nullif($5, ''), " MU_TS(6) ", $7::jsonb, $8::jsonb, " MU_TS(9) ", $10) ON CONFLICT DO NOTHING";

constexpr const char* kTokenRevokedSql =
    "DELETE FROM issued_tokens_read_model WHERE user_id = $1 AND token_id = $2 AND sequence < $3";

// A key seen before means the event was reduced.
constexpr const char* kKeyAddedSql =
    "INSERT INTO machine_keys_read_model (user_id, id, owner, type, expiration, public_key, "
    "creation_date, change_date, sequence) VALUES ($1, $2, $3, $4::smallint, " MU_TS(
        5) ", $6, " MU_TS(7) ", " MU_TS(7) ", $8) ON CONFLICT DO NOTHING";

constexpr const char* kKeyRemovedSql =
    "DELETE FROM machine_keys_read_model WHERE user_id = $1 AND id = $2 AND sequence < $3";

// A second secret replaces the first, unless the row is newer.
constexpr const char* kSecretSetSql =
    "INSERT INTO machine_secrets_read_model (user_id, owner, secret_hash, change_date, sequence) "
    "VALUES ($1, $2, $3, " MU_TS(4) ", $5) ON CONFLICT (user_id) DO UPDATE SET "
    "secret_hash = excluded.secret_hash, change_date = excluded.change_date, "
    "sequence = excluded.sequence WHERE machine_secrets_read_model.sequence < excluded.sequence";

constexpr const char* kSecretRemovedSql =
    "DELETE FROM machine_secrets_read_model WHERE user_id = $1 AND sequence < $2";

// A removed user's id may be added again later: none of its tokens, keys, secret or grants
// may survive. The memberships' sequences belong to other streams, so that delete has no guard.
constexpr const char* kUserRemovedSql =
    "WITH pats AS (DELETE FROM pats_read_model WHERE user_id = $1 AND sequence < $2), "
    "keys AS (DELETE FROM machine_keys_read_model WHERE user_id = $1 AND sequence < $2), "
    "secrets AS (DELETE FROM machine_secrets_read_model WHERE user_id = $1 AND sequence < $2), "
    "issued AS (DELETE FROM issued_tokens_read_model WHERE user_id = $1 AND sequence < $2) "
    "DELETE FROM members_read_model WHERE user_id = $1";

#define MU_PROJECTIONS \
  "('orgs', 'members', 'pats', 'machine_keys', 'machine_secrets', 'issued_tokens')"

constexpr const char* kAdvanceSql =
    "UPDATE current_states SET position = greatest(position, $1), updated_at = now() "
    "WHERE projection IN " MU_PROJECTIONS;

// Writes only when it moves, so an idle service does not write at all.
constexpr const char* kInlineCheckpointSql =
    "UPDATE current_states SET position = last.position, updated_at = now() "
    "FROM (SELECT coalesce(max(position), 0) AS position FROM events) last "
    "WHERE projection IN " MU_PROJECTIONS " AND current_states.position < last.position";

constexpr const char* kResetSql =
    "DELETE FROM orgs_read_model; DELETE FROM members_read_model; DELETE FROM pats_read_model; "
    "DELETE FROM machine_keys_read_model; DELETE FROM machine_secrets_read_model; "
    "DELETE FROM issued_tokens_read_model; "
    "UPDATE current_states SET position = 0, updated_at = now() WHERE projection "
    "IN " MU_PROJECTIONS;

#define MU_ORG_COLUMNS \
  "id, name, " MU_MICROS("creation_date") ", " MU_MICROS("change_date") ", sequence, position"

constexpr const char* kFindOrgSql = "SELECT " MU_ORG_COLUMNS " FROM orgs_read_model WHERE id = $1";

// COLLATE "C": lower() folds ASCII only, matching the index and the domain's keys.
constexpr const char* kFindOrgByNameSql =
    "SELECT " MU_ORG_COLUMNS
    " FROM orgs_read_model WHERE lower(name COLLATE \"C\") = lower($1::text COLLATE \"C\") "
    "ORDER BY creation_date, id LIMIT 1";

constexpr const char* kMembershipsOfSql =
    "SELECT coalesce(json_agg(json_build_object('scope', scope, 'roles', roles) ORDER BY scope), "
    "'[]') FROM members_read_model WHERE user_id = $1";

#undef MU_ORG_COLUMNS
#undef MU_PROJECTIONS
#undef MU_ROLES
#undef MU_MICROS
#undef MU_TS

std::string roles_field(const nlohmann::json& payload) {
  const auto it = payload.find("roles");
  return it != payload.end() && it->is_array() ? it->dump() : std::string("[]");
}

// A token or key without an expiration never expires (ZITADEL stores 9999-12-31 23:59:59
// then); one that cannot be parsed is taken as expired long ago, so that it fails closed.
long long expiration_micros(const nlohmann::json& payload, const char* field = "expiration") {
  const auto it = payload.find(field);
  if (it == payload.end() || it->is_null()) return 253402300799LL * 1000000;
  if (!it->is_string()) return 0;
  const auto t = domain::parse_rfc3339(it->get<std::string>());
  return t ? domain::to_unix_micros(*t) : 0;
}

OrgView to_org(const pqxx::row& row) {
  OrgView v;
  v.id = row[0].as<std::string>();
  v.name = row[1].as<std::string>();
  v.creation_date = domain::from_unix_micros(row[2].as<long long>());
  v.change_date = domain::from_unix_micros(row[3].as<long long>());
  v.sequence = static_cast<std::uint64_t>(row[4].as<std::int64_t>());
  v.position = row[5].as<std::int64_t>();
  return v;
}

// Member events of an org stream (scope: the org id) or of the instance stream.
void reduce_member(pqxx::transaction_base& tx, const domain::StoredEvent& e,
                   const std::string& scope, std::string_view added, std::string_view changed,
                   std::string_view removed) {
  const auto seq = static_cast<std::int64_t>(e.sequence);
  const auto at = domain::to_unix_micros(e.created_at);
  const auto user_id = domain::payload_string(e.payload, "userId");
  if (e.type == added) {
    tx.exec_prepared(kMemberAdded, scope, user_id, roles_field(e.payload), at, seq);
  } else if (e.type == changed) {
    tx.exec_prepared(kMemberChanged, scope, user_id, roles_field(e.payload), at, seq);
  } else if (e.type == removed) {
    tx.exec_prepared(kMemberRemoved, scope, user_id, seq);
  }
}

void reduce_user(pqxx::transaction_base& tx, const domain::StoredEvent& e) {
  const auto seq = static_cast<std::int64_t>(e.sequence);
  if (e.type == et::kPatAdded) {
    tx.exec_prepared(kPatAdded, domain::payload_string(e.payload, "tokenHash"),
                     domain::payload_string(e.payload, "tokenId"), e.aggregate_id,
                     expiration_micros(e.payload), domain::to_unix_micros(e.created_at), seq);
  } else if (e.type == et::kPatRemoved) {
    tx.exec_prepared(kPatRemoved, e.aggregate_id, domain::payload_string(e.payload, "tokenId"),
                     seq);
  } else if (e.type == et::kKeyAdded) {
    // The payload holds the PEM as base64 (ZITADEL's []byte); a key that does not decode is
    // kept without one, so that it verifies nothing.
    const auto pem = domain::base64_decode(domain::payload_string(e.payload, "publicKey"));
    tx.exec_prepared(kKeyAdded, e.aggregate_id, domain::payload_string(e.payload, "keyId"), e.owner,
                     domain::payload_int(e.payload, "type"),
                     expiration_micros(e.payload, "expirationDate"), pem.value_or(""),
                     domain::to_unix_micros(e.created_at), seq);
  } else if (e.type == et::kKeyRemoved) {
    tx.exec_prepared(kKeyRemoved, e.aggregate_id, domain::payload_string(e.payload, "keyId"), seq);
  } else if (e.type == et::kSecretSet) {
    tx.exec_prepared(kSecretSet, e.aggregate_id, e.owner,
                     domain::payload_string(e.payload, "hashedSecret"),
                     domain::to_unix_micros(e.created_at), seq);
  } else if (e.type == et::kSecretRemoved) {
    tx.exec_prepared(kSecretRemoved, e.aggregate_id, seq);
  } else if (e.type == et::kTokenIssued) {
    const auto list = [&](const char* name) {
      auto it = e.payload.find(name);
      return (it != e.payload.end() && it->is_array() ? *it : nlohmann::json::array()).dump();
    };
    tx.exec_prepared(kTokenIssued, domain::payload_string(e.payload, "tokenId"), e.aggregate_id,
                     e.owner, domain::payload_string(e.payload, "tokenType") == "jwt" ? 1 : 0,
                     domain::payload_string(e.payload, "tokenHash"), expiration_micros(e.payload),
                     list("audience"), list("scopes"), domain::to_unix_micros(e.created_at), seq);
  } else if (e.type == et::kTokenRevoked) {
    tx.exec_prepared(kTokenRevoked, e.aggregate_id, domain::payload_string(e.payload, "tokenId"),
                     seq);
  } else if (e.type == et::kRemoved) {
    tx.exec_prepared(kUserRemoved, e.aggregate_id, seq);
  }
}

void reduce(pqxx::transaction_base& tx, const domain::StoredEvent& e) {
  if (e.aggregate_type == domain::kOrgAggregate) {
    if (e.type == et::kOrgAdded) {
      tx.exec_prepared(kOrgAdded, e.aggregate_id, domain::payload_string(e.payload, "name"),
                       domain::to_unix_micros(e.created_at), static_cast<std::int64_t>(e.sequence),
                       e.position);
      return;
    }
    reduce_member(tx, e, e.aggregate_id, et::kOrgMemberAdded, et::kOrgMemberChanged,
                  et::kOrgMemberRemoved);
  } else if (e.aggregate_type == domain::kInstanceAggregate) {
    reduce_member(tx, e, std::string(domain::kInstanceScope), et::kInstanceMemberAdded,
                  et::kInstanceMemberChanged, et::kInstanceMemberRemoved);
  } else if (e.aggregate_type == domain::kUserAggregate) {
    reduce_user(tx, e);
  }
}

}  // namespace

std::optional<std::string> auth_statement_share(std::string_view aggregate_type,
                                                std::string_view event_type) {
  if (aggregate_type != domain::kUserAggregate) return std::nullopt;
  // A token's issuance is the OAuth endpoint's write: its row goes in with the event, as
  // reduce_user's kTokenIssuedSql writes it. The one statement's parameters
  // (eventstore::StatementShares): $2 user id, $3 sequence, $4 payload, $5 created_at (µs),
  // $6 owner. The payload is our own decide's (domain::decide(IssueToken)): expiration is
  // RFC 3339 and always there.
  if (event_type == et::kTokenIssued) {
    return "INSERT INTO issued_tokens_read_model (token_id, user_id, owner, token_type, "
           "token_hash, expiration, audience, scopes, creation_date, sequence) SELECT "
           "coalesce($4::jsonb->>'tokenId', ''), $2::text, $6::text, "
           "CASE WHEN $4::jsonb->>'tokenType' = 'jwt' THEN 1 ELSE 0 END, "
           "nullif($4::jsonb->>'tokenHash', ''), ($4::jsonb->>'expiration')::timestamptz, "
           "CASE WHEN jsonb_typeof($4::jsonb->'audience') = 'array' THEN $4::jsonb->'audience' "
           "ELSE '[]'::jsonb END, "
           "CASE WHEN jsonb_typeof($4::jsonb->'scopes') = 'array' THEN $4::jsonb->'scopes' "
           "ELSE '[]'::jsonb END, 'epoch'::timestamptz + $5::bigint * interval '1 microsecond', "
           "$3::bigint FROM ev ON CONFLICT DO NOTHING";
  }
  if (event_type == et::kPatAdded || event_type == et::kPatRemoved || event_type == et::kRemoved ||
      event_type == et::kKeyAdded || event_type == et::kKeyRemoved ||
      event_type == et::kSecretSet || event_type == et::kSecretRemoved ||
      event_type == et::kTokenRevoked) {
    return std::nullopt;  // as reduce_user above
  }
  return "";
}

std::vector<domain::Membership> memberships_from_json(const nlohmann::json& rows) {
  std::vector<domain::Membership> out;
  if (!rows.is_array()) return out;
  for (const auto& row : rows) {
    domain::Membership m;
    m.scope = domain::payload_string(row, "scope");
    const auto roles = row.find("roles");
    if (roles != row.end() && roles->is_array()) {
      for (const auto& name : *roles) {
        if (!name.is_string()) continue;
        if (const auto role = domain::parse_role(name.get<std::string>())) m.roles.push_back(*role);
      }
    }
    out.push_back(std::move(m));
  }
  return out;
}

AuthProjections::AuthProjections(pqxx::connection_base& conn) {
  conn.prepare(kOrgAdded, kOrgAddedSql);
  conn.prepare(kMemberAdded, kMemberAddedSql);
  conn.prepare(kMemberChanged, kMemberChangedSql);
  conn.prepare(kMemberRemoved, kMemberRemovedSql);
  conn.prepare(kPatAdded, kPatAddedSql);
  conn.prepare(kPatRemoved, kPatRemovedSql);
  conn.prepare(kUserRemoved, kUserRemovedSql);
  conn.prepare(kKeyAdded, kKeyAddedSql);
  conn.prepare(kKeyRemoved, kKeyRemovedSql);
  conn.prepare(kTokenIssued, kTokenIssuedSql);
  conn.prepare(kTokenRevoked, kTokenRevokedSql);
  conn.prepare(kSecretSet, kSecretSetSql);
  conn.prepare(kSecretRemoved, kSecretRemovedSql);
  conn.prepare(kAdvance, kAdvanceSql);
  conn.prepare(kInlineCheckpoint, kInlineCheckpointSql);
  conn.prepare(kFindOrg, kFindOrgSql);
  conn.prepare(kFindOrgByName, kFindOrgByNameSql);
  conn.prepare(kMembershipsOf, kMembershipsOfSql);
}

void AuthProjections::apply_inline(pqxx::transaction_base& tx,
                                   const std::vector<domain::StoredEvent>& events) {
  for (const auto& e : events) reduce(tx, e);
}

void AuthProjections::apply(pqxx::transaction_base& tx,
                            const std::vector<domain::StoredEvent>& events) {
  apply_inline(tx, events);
  std::int64_t last = 0;
  for (const auto& e : events) last = std::max(last, e.position);
  if (last > 0) tx.exec_prepared(kAdvance, last);
}

void AuthProjections::record_inline_checkpoint(pqxx::transaction_base& tx) {
  tx.exec_prepared(kInlineCheckpoint);
}

void AuthProjections::reset(pqxx::transaction_base& tx) {
  tx.exec(kResetSql);
}

std::optional<OrgView> AuthProjections::find_org(pqxx::transaction_base& tx,
                                                 const std::string& id) {
  const auto result = tx.exec_prepared(kFindOrg, id);
  if (result.empty()) return std::nullopt;
  return to_org(result[0]);
}

std::optional<OrgView> AuthProjections::find_org_by_name(pqxx::transaction_base& tx,
                                                         const std::string& name) {
  const auto result = tx.exec_prepared(kFindOrgByName, name);
  if (result.empty()) return std::nullopt;
  return to_org(result[0]);
}

std::vector<domain::Membership> AuthProjections::memberships_of(pqxx::transaction_base& tx,
                                                                const std::string& user_id) {
  const auto result = tx.exec_prepared(kMembershipsOf, user_id);
  return memberships_from_json(nlohmann::json::parse(result[0][0].as<std::string>()));
}

}  // namespace mu::projections
