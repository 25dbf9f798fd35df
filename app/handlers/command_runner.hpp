// Runs one command against a machine user's stream: load the write model (one
// read of the stream head), decide, then append the events, reduce them into
// the inline read model and read the details back, all in one transaction.
// When another writer moved the stream in between, it reloads and decides
// again, this time holding the stream head's row lock from the read on, so the
// retry cannot be overtaken: no lost update, no decision on stale state, and
// (but for two creations of one new id) no second conflict.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/runtime/db_session.hpp"
#include "domain/machine_user.hpp"
#include "projections/users_projection.hpp"

namespace mu::handlers {

using Decision =
    std::function<domain::Result<std::vector<domain::NewEvent>>(const domain::MachineUser&)>;

struct CommandOutcome {
  std::vector<domain::StoredEvent> events;
  // The read model row as the events left it; for a removal, the row removed.
  std::optional<projections::UserView> row;
};

struct CommandMeta {
  std::string user_id;
  std::string org_id;     // the owner of a new stream
  std::string editor_id;  // recorded as every event's creator
};

// Attempts before giving up with Aborted; only creations racing on one new id
// can need more than two.
inline constexpr int kMaxCommandAttempts = 10;

domain::Result<CommandOutcome> run_user_command(runtime::DbSession& db, const CommandMeta& meta,
                                                const Decision& decide);

}  // namespace mu::handlers
