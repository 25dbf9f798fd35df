// The users read model: one row per machine user, reduced from user events.
// The same reducer runs inline (in the append's transaction) and in replays.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
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
};

class UsersProjection {
 public:
  explicit UsersProjection(pqxx::connection_base& conn);  // prepares statements

  // Reduces the events (any types; non-user events are skipped) and advances
  // current_states. Idempotent: an event at or below a row's sequence is skipped.
  void apply(pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events);

  // A user of the read model; removed users are gone.
  std::optional<UserView> find(pqxx::transaction_base& tx, const std::string& user_id);

  // Empties the read model and its checkpoint (for replays).
  void reset(pqxx::transaction_base& tx);

  // The last global position reduced, from current_states.
  std::int64_t position(pqxx::transaction_base& tx);
};

}  // namespace mu::projections
