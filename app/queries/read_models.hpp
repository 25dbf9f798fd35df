// The read side the handlers answer from: each function one short read of the read
// models or the event store on the worker's session, its rows as plain values, and
// a database failure as the contract's error. Handlers open no transaction of their
// own; the command side is app/commands.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/platform/db_session.hpp"
#include "domain/audit.hpp"
#include "domain/result.hpp"
#include "eventstore/audit_queries.hpp"
#include "projections/auth_projections.hpp"
#include "projections/machine_credentials.hpp"
#include "projections/token_lookup.hpp"
#include "projections/users_projection.hpp"

namespace mu::queries {

using platform::DbSession;

// Who holds a unique key (a user name in an organization, an organization's name), if anyone.
domain::Result<std::optional<std::string>> unique_key_holder(DbSession& db, std::string_view type,
                                                             const std::string& value);

// Whether the user holds IAM_OWNER on the instance.
domain::Result<bool> is_iam_owner(DbSession& db, const std::string& user_id);

// Who a personal access token is (by its SHA-256): its user, their state and roles.
domain::Result<std::optional<projections::TokenGrant>> find_token(DbSession& db,
                                                                  const std::string& token_hash);

// A machine user of the users read model and whether it has a client secret (GetUserByID's
// machine.hasSecret), in one statement.
// An issued JWT's grant by its id (jti), asked once its signature held.
domain::Result<std::optional<projections::TokenGrant>> find_issued_jwt(DbSession& db,
                                                                       const std::string& token_id);

// Introspection: a PAT or opaque token by its SHA-256, or an issued JWT by its id ("" for
// the one not asked), with its owner; and a caller's memberships.
domain::Result<std::optional<projections::TokenDetails>> token_details(
    DbSession& db, const std::string& token_hash, const std::string& jwt_id);
domain::Result<std::vector<domain::Membership>> memberships_of(DbSession& db,
                                                               const std::string& user_id);

struct MachineUserRead {
  projections::UserView user;
  bool has_secret = false;
};
domain::Result<std::optional<MachineUserRead>> find_machine_user(DbSession& db,
                                                                 const std::string& id);

// A user's key that was added and not removed, expired or not (GetMachineKeyByIDs; the token
// endpoint's JWT profile: the key of the assertion's `kid` and `sub`, with its public key and
// expiration). The owner is the caller's to compare.
domain::Result<std::optional<projections::MachineKeyView>> find_machine_key(
    DbSession& db, const std::string& user_id, const std::string& key_id);

// A page of the user's keys in `owner` (ListMachineKeys), with their count and the read
// model's position.
domain::Result<projections::MachineKeyPage> machine_keys(DbSession& db, const std::string& user_id,
                                                         const std::string& owner,
                                                         std::uint64_t offset, std::uint32_t limit,
                                                         bool asc);

// The token endpoint's client_credentials: the machine users whose user name is `client_id`,
// in any organization, each with its state and its secret's hash (none: no secret). Empty:
// an unknown client. Check the secret with domain::client_secret_matches against each; at
// most one matches (docs/decisions.md).
domain::Result<std::vector<projections::ClientSecretView>> find_clients(
    DbSession& db, const std::string& client_id);

// A machine user as of a sequence or a time, folded from its events.
domain::Result<std::optional<domain::UserAsOf>> user_as_of(DbSession& db, const std::string& id,
                                                           const domain::AsOf& at);

// An organization of the auth read model, by id.
domain::Result<std::optional<projections::OrgView>> find_org(DbSession& db, const std::string& id);

// A page of audit rows with the machine users among their editors (an editor that is no
// machine user here, SYSTEM or a removed user, is absent: named by its id alone).
template <class Row>
struct AuditPage {
  std::vector<Row> rows;
  std::map<std::string, projections::UserView> editors;
};

// One user's changes in an organization.
domain::Result<AuditPage<eventstore::ChangeRow>> user_changes(DbSession& db,
                                                              const domain::UserChangesQuery& q,
                                                              const std::string& org_id);

// A page of events after q.after_position (only_owner: one organization's alone, or ""),
// at most `limit`; InvalidArgument when after_position is the position of no event.
domain::Result<AuditPage<eventstore::EventRow>> events_page(DbSession& db,
                                                            const domain::EventsQuery& q,
                                                            const std::string& only_owner,
                                                            std::uint32_t limit);

}  // namespace mu::queries
