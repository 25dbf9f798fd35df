// The transaction path of every command: attempts (command_transaction_attempt.hpp) until
// one commits or is refused, and the answer to each way an attempt fails. A conflict (the
// stream moved between read and append) is decided again after a short random back-off,
// this time with the head locked from the read on, so the retry cannot be overtaken;
// after kMaxCommandAttempts it is Aborted, never 500. A unique key held by another stream
// is `taken`. A COMMIT in doubt is settled (command_settle.hpp): committed is answered as
// if COMMIT had, aborted runs again, unknown is 503 COMMAND-InDoubt.
#pragma once

#include <functional>
#include <string>

#include "app/commands/command_transaction_attempt.hpp"

namespace mu::commands {

// Called with each committed append and the write model after it.
template <class Stream>
using OnCommitted =
    std::function<void(const eventstore::Appended&, const typename Stream::State& after)>;

// `first_attempt` > 1 reads the head locked from the start (the command lost a race before,
// on the one-statement path).
template <class Stream>
domain::Result<CommandOutcome> run_in_transactions(CommandContext& ctx, const std::string& type,
                                                   const StreamRef& stream,
                                                   const Decision<typename Stream::State>& decide,
                                                   const domain::Error& taken,
                                                   const BeforeDecide& before = {},
                                                   int first_attempt = 1,
                                                   const OnCommitted<Stream>& committed = {});

}  // namespace mu::commands
