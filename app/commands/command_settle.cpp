#include "app/commands/command_settle.hpp"

#include <chrono>
#include <functional>

namespace mu::commands {

namespace {

using eventstore::TransactionStatus;

// How long to wait between two questions while the answer is InProgress.
constexpr std::chrono::milliseconds kSettlePoll{50};

// Reconnects and asks `probe` until it knows, or the deadline passes.
TransactionStatus settle_until_known(CommandContext& ctx,
                                     const std::function<TransactionStatus()>& probe) {
  const auto deadline = ctx.clock.now() + kInDoubtDeadline;
  for (;;) {
    try {
      ctx.store.reconnect();
    } catch (const std::exception& e) {
      (void)ctx.store.failure(e);
      return TransactionStatus::Unknown;
    }
    try {
      const auto status = probe();
      if (status != TransactionStatus::InProgress) return status;
    } catch (const std::exception& e) {
      (void)ctx.store.failure(e);  // lost again meanwhile: try again until the deadline
    }
    if (ctx.clock.now() >= deadline) return TransactionStatus::Unknown;
    ctx.clock.sleep(kSettlePoll);
  }
}

}  // namespace

TransactionStatus settle_commit(CommandContext& ctx, std::uint64_t tx_id,
                                const std::string& aggregate_type, const std::string& aggregate_id,
                                const std::optional<domain::Hash>& last_hash) {
  return settle_until_known(ctx, [&] {
    const auto status = ctx.store.transaction_status(tx_id);
    if (status != TransactionStatus::Committed || !last_hash) return status;
    return ctx.store.event_stored(aggregate_type, aggregate_id, *last_hash)
               ? TransactionStatus::Committed
               : TransactionStatus::Aborted;
  });
}

TransactionStatus settle_append(CommandContext& ctx, const eventstore::LostAppend& lost,
                                const std::string& aggregate_type,
                                const std::string& aggregate_id) {
  return settle_until_known(ctx, [&] {
    // First the old session is ended, and only once it is gone is the absence of the event
    // final: in the other order it could commit between the two questions.
    if (!ctx.store.backend_gone(lost.backend_pid, lost.server_run)) {
      return TransactionStatus::InProgress;
    }
    return ctx.store.event_stored(aggregate_type, aggregate_id, lost.hash)
               ? TransactionStatus::Committed
               : TransactionStatus::Aborted;
  });
}

}  // namespace mu::commands
