// The one-statement path of a user command: the write model from the cache (or one
// autocommit read of the head), the decision, then one autocommit statement that appends
// the one event and reduces it into the inline read models (CommandStore::append_one).
// It answers only when it can answer with certainty; otherwise (nullopt) the command takes
// the transaction path, which is always right:
//   - a call with an Idempotency-Key (the key is claimed in the events' transaction);
//   - a stream that does not exist, or whose head has no usable snapshot;
//   - If-Match not at the entry's sequence (a cached entry may be stale: only the
//     transaction path's read may refuse the call);
//   - a refusal decided on a cached entry (the same: a refusal decided on a fresh read
//     is answered);
//   - not exactly one event, or one that changes who may call (announced by NOTIFY in a
//     transaction), or one that some inline read model cannot reduce in SQL, or one that
//     does not fit one statement (EventStore::one_statement_fits);
//   - a head that moved since the entry (another call, here or in another instance): the
//     entry is dropped and `conflicted` set, so that the transaction path reads the head
//     under its lock at once;
//   - a lost statement settled as not committed.
// A lost statement settled as committed is answered with its event, read back; unknown
// until the deadline is 503 COMMAND-InDoubt.
#pragma once

#include <optional>
#include <string>

#include "app/commands/command_context.hpp"

namespace mu::commands {

std::optional<domain::Result<CommandOutcome>> run_user_one_statement(
    CommandContext& ctx, const std::string& type, const StreamRef& stream,
    const Decision<domain::MachineUser>& decide, bool& conflicted);

}  // namespace mu::commands
