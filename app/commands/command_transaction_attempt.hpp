// One attempt of the transaction path, in one transaction: the stream head (locked when
// asked), If-Match, the decision, the append, the inline read models, NOTIFY, the
// idempotency claim, COMMIT. What to do when it fails (retry, settle, answer) is the
// retry loop's (command_retry_loop.hpp).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "app/commands/command_context.hpp"
#include "app/commands/command_plan.hpp"

namespace mu::commands {

// Runs inside the command's transaction before its stream is read.
using BeforeDecide = std::function<void(CommandTransaction&)>;

// What an attempt wrote, filled in as it goes: a COMMIT in doubt is settled by the tx_id of
// the events the append returned.
template <class Stream>
struct TransactionAttempt {
  eventstore::Appended appended;
  typename Stream::State after{};  // the write model after the events
  bool changes_auth = false;       // the events change who may call
};

// nullopt: committed (`out` says what). An error: refused with nothing written: the stream
// is not at If-Match's sequence (Aborted), the decision's own error, or the idempotency key
// taken by a call that committed first (kIdempotencyReplay). Throws what the store throws:
// eventstore::ConcurrencyConflict, eventstore::UniqueKeyTaken, CommitInDoubt, failures.
template <class Stream>
std::optional<domain::Error> attempt_in_transaction(CommandContext& ctx, const std::string& type,
                                                    const StreamRef& stream,
                                                    const Decision<typename Stream::State>& decide,
                                                    const BeforeDecide& before, bool lock_head,
                                                    TransactionAttempt<Stream>& out);

}  // namespace mu::commands
