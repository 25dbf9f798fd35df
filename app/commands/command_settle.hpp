// Settling a write whose connection broke before its outcome came back: a COMMIT on the
// transaction path, or the one-statement append. On a new connection the store is asked
// what became of it, until the answer is known or kInDoubtDeadline has passed (Unknown).
// When the database cannot be reached at all the answer is Unknown at once: in an outage
// every call in flight lands here, and holding each worker for the whole deadline would
// keep the calls behind them from their quick 503.
#pragma once

#include <cstdint>
#include <string>

#include "app/commands/command_context.hpp"
#include "eventstore/event_store.hpp"
#include "eventstore/transaction_status.hpp"

namespace mu::commands {

// A COMMIT, by its transaction's id (its events' tx_id): Committed, Aborted or Unknown.
eventstore::TransactionStatus settle_commit(CommandContext& ctx, std::uint64_t tx_id);

// A one-statement append: Committed when its event (by hash) is stored once the server
// process that ran it is gone, Aborted when it is not, Unknown while that process stays.
eventstore::TransactionStatus settle_append(CommandContext& ctx, const eventstore::LostAppend& lost,
                                            const std::string& aggregate_type,
                                            const std::string& aggregate_id);

}  // namespace mu::commands
