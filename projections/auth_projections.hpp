// The read models authentication needs: organizations, memberships (who holds which
// roles where), personal access tokens, and the machine keys and client secrets the token
// endpoint checks. One reducer for all of them, because user.removed touches most; it runs
// inline (in the append's transaction) and in replays, like UsersProjection. Their reads
// beyond organizations and memberships: token_lookup.hpp, machine_credentials.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "domain/event.hpp"
#include "domain/permissions.hpp"
#include "domain/time.hpp"

namespace mu::projections {

// Their rows in current_states.
inline constexpr const char* kOrgsProjection = "orgs";
inline constexpr const char* kMembersProjection = "members";
inline constexpr const char* kPatsProjection = "pats";
inline constexpr const char* kMachineKeysProjection = "machine_keys";
inline constexpr const char* kMachineSecretsProjection = "machine_secrets";

// A row of orgs_read_model; removed or inactive organizations do not exist yet.
struct OrgView {
  std::string id;
  std::string name;
  domain::Timestamp creation_date{};
  domain::Timestamp change_date{};
  std::uint64_t sequence = 0;  // of the org stream's last event this row reduced
  std::int64_t position = 0;

  friend bool operator==(const OrgView&, const OrgView&) = default;
};

// Their share of a one-statement append (see users_statement_share): "" for the user events
// they ignore, nullopt for every event they reduce (those take the transaction path).
std::optional<std::string> auth_statement_share(std::string_view aggregate_type,
                                                std::string_view event_type);

class AuthProjections {
 public:
  explicit AuthProjections(pqxx::connection_base& conn);  // prepares statements

  // Reduces the events (any types; those of no interest are skipped), one statement per
  // event of interest, without touching current_states (see UsersProjection::apply_inline).
  // Re-applying events in order is harmless: updates and deletes are guarded by the row's
  // sequence, inserts do nothing on conflict. Replaying an old event on its own after a
  // later removal would bring its row back: replays start from reset().
  void apply_inline(pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events);

  // apply_inline, then advances current_states of its read models (one statement).
  void apply(pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events);

  // Moves their checkpoints to the last visible position (see
  // UsersProjection::record_inline_checkpoint); for the service's checkpoint keeper.
  void record_inline_checkpoint(pqxx::transaction_base& tx);

  // Empties its read models and their checkpoints (for replays).
  void reset(pqxx::transaction_base& tx);

  std::optional<OrgView> find_org(pqxx::transaction_base& tx, const std::string& id);
  // ASCII letters compare case-insensitively, like the domain's unique org-name keys.
  std::optional<OrgView> find_org_by_name(pqxx::transaction_base& tx, const std::string& name);

  // Every membership of the user, ordered by scope; role names the domain does not
  // know are skipped.
  std::vector<domain::Membership> memberships_of(pqxx::transaction_base& tx,
                                                 const std::string& user_id);
};

// Memberships from members rows aggregated as JSON, [{"scope": "...", "roles": ["..."]}]
// (what memberships_of and TokenLookup select). Unknown role names are skipped.
std::vector<domain::Membership> memberships_from_json(const nlohmann::json& rows);

}  // namespace mu::projections
