// Settling a write whose connection broke before its outcome came back: a COMMIT on the
// transaction path, or the one-statement append. On a new connection the store is asked
// what became of it, until the answer is known or kInDoubtDeadline has passed (Unknown).
// When the database cannot be reached at all the answer is Unknown at once: in an outage
// every call in flight lands here, and holding each worker for the whole deadline would
// keep the calls behind them from their quick 503.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/commands/command_context.hpp"
#include "eventstore/event_store.hpp"
#include "eventstore/transaction_status.hpp"

namespace mu::commands {

// A COMMIT, by its transaction's id (its events' tx_id) and its last event: Committed,
// Aborted or Unknown. The id alone may be another transaction's on the server the new
// connection reaches (after a failover, or a crash that lost the id), so "committed" stands
// only when that server also holds the last event, found by its hash (which covers the
// request id and the time: no other transaction writes it); when it does not, the id is
// another's and the write is not in this history: Aborted. Without a hash (a stream of before
// migration 0009), the id's answer is taken as it is.
eventstore::TransactionStatus settle_commit(CommandContext& ctx, std::uint64_t tx_id,
                                            const std::string& aggregate_type,
                                            const std::string& aggregate_id,
                                            const std::optional<domain::Hash>& last_hash);

// A one-statement append: Committed when its event (by hash) is stored once the server
// process that ran it is gone, Aborted when it is not, Unknown while that process stays.
eventstore::TransactionStatus settle_append(CommandContext& ctx, const eventstore::LostAppend& lost,
                                            const std::string& aggregate_type,
                                            const std::string& aggregate_id);

}  // namespace mu::commands
