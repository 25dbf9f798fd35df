// The users read model: one row per machine user, reduced from user events.
// The same reducer runs inline (in the append's transaction) and in replays.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "domain/event.hpp"
#include "domain/machine_user.hpp"

namespace mu::projections {

inline constexpr const char* kUsersProjection = "users";

// A row of the read model, and what a call's `details` are made of.
struct UserView {
  std::string id;
  std::string owner;  // resource owner: organization id
  domain::UserState state = domain::UserState::Unspecified;
  std::string user_name;
  std::string name;
  std::string description;
  domain::AccessTokenType access_token_type = domain::AccessTokenType::Bearer;
  domain::Timestamp creation_date{};
  domain::Timestamp change_date{};
  std::uint64_t sequence = 0;
  std::int64_t position = 0;  // global position of the last event reduced

  friend bool operator==(const UserView&, const UserView&) = default;
};

// The read model's share of a one-statement append of one event (eventstore::
// StatementShares): the SQL that reduces it, "" when the read model ignores it, nullopt
// when only the per-event reducer can (a creation or removal). On the live table.
std::optional<std::string> users_statement_share(std::string_view aggregate_type,
                                                 std::string_view event_type);

class UsersProjection {
 public:
  // Prepares its statements. `table` is the live read model, or a table of the same
  // shape that a rebuild or a test fills.
  explicit UsersProjection(pqxx::connection_base& conn, std::string table = "users_read_model");

  // Reduces the events (any types; non-user events are skipped) and advances
  // current_states. Idempotent: an event at or below a row's sequence is skipped.
  void apply(pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events);

  // The same reduction without touching current_states: for the inline projection in a
  // command's transaction. Advancing the one checkpoint row there would make every
  // concurrent command wait for the previous one's commit (a row lock held to COMMIT).
  // Returns the row as the last reduced event left it, or, for a removal, the row
  // it deleted (nullopt when no event touched a row).
  std::optional<UserView> apply_inline(pqxx::transaction_base& tx,
                                       const std::vector<domain::StoredEvent>& events);

  // Records the inline projection's checkpoint: every event visible now was
  // reduced in its own transaction, so the last visible position is reduced.
  // Kept out of the commands' transactions (see apply_inline); the service runs
  // it every few hundred milliseconds and when it stops.
  void record_inline_checkpoint(pqxx::transaction_base& tx);

  // A user of the read model; removed users are gone.
  std::optional<UserView> find(pqxx::transaction_base& tx, const std::string& user_id);
  // The same, and whether the user has a client secret (machine_secrets_read_model, which the
  // auth projection keeps), in one statement: GetUserByID's machine.hasSecret.
  std::optional<std::pair<UserView, bool>> find_with_secret(pqxx::transaction_base& tx,
                                                            const std::string& user_id);
  // The rows of those ids that exist, in one statement.
  std::map<std::string, UserView> find_many(pqxx::transaction_base& tx,
                                            const std::set<std::string>& ids);

  // Empties the read model and its checkpoint (for replays).
  void reset(pqxx::transaction_base& tx);

  // The last global position reduced, from current_states.
  std::int64_t position(pqxx::transaction_base& tx);

  const std::string& table() const { return table_; }

 private:
  std::string table_;
};

}  // namespace mu::projections
