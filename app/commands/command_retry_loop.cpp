#include "app/commands/command_retry_loop.hpp"

#include <random>

#include "app/commands/command_settle.hpp"
#include "app/platform/metrics.hpp"

namespace mu::commands {

namespace {

void back_off_after_conflict(CommandClock& clock, int attempt) {
  // Jitter so that the losers of one round do not collide again in the next.
  thread_local std::mt19937 rng{std::random_device{}()};
  std::uniform_int_distribution<int> micros(0, 200 * attempt);
  clock.sleep(std::chrono::microseconds(micros(rng)));
}

}  // namespace

template <class Stream>
domain::Result<CommandOutcome> run_in_transactions(CommandContext& ctx, const std::string& type,
                                                   const StreamRef& stream,
                                                   const Decision<typename Stream::State>& decide,
                                                   const domain::Error& taken,
                                                   const BeforeDecide& before, int first_attempt,
                                                   const OnCommitted<Stream>& committed) {
  for (int attempt = first_attempt; attempt <= kMaxCommandAttempts; ++attempt) {
    TransactionAttempt<Stream> done;
    try {
      // The first attempt is optimistic; after losing a race, the head is locked
      // from the read on, so the next decision cannot be overtaken.
      if (auto refused = attempt_in_transaction<Stream>(ctx, type, stream, decide, before,
                                                        attempt > 1, done)) {
        return *refused;
      }
    } catch (const eventstore::ConcurrencyConflict&) {
      ++platform::metrics().command_conflicts;
      if (attempt < kMaxCommandAttempts) ++platform::metrics().command_retries;
      back_off_after_conflict(ctx.clock, attempt);
      continue;
    } catch (const eventstore::UniqueKeyTaken&) {
      return taken;
    } catch (const CommitInDoubt&) {
      ++platform::metrics().in_doubt_commits;
      // The events may or may not be in. Answer the truth, not a guess.
      const auto& last = done.appended.events.back();
      switch (settle_commit(ctx, last.tx_id, last.aggregate_type, last.aggregate_id,
                            done.appended.last_hash)) {
        case eventstore::TransactionStatus::Committed:
          break;  // as if COMMIT had answered
        case eventstore::TransactionStatus::Aborted:
          continue;  // nothing was written: run the command again
        default:
          return domain::Error{
              domain::Code::Unavailable, "COMMAND-InDoubt",
              "the database connection was lost during COMMIT and the outcome of the write is "
              "unknown; a retry with the same Idempotency-Key is safe"};
      }
    } catch (const std::exception& e) {
      return ctx.store.failure(e);
    }
    if (done.changes_auth) ctx.auth_cache.clear();
    platform::metrics().events_appended += done.appended.events.size();
    // After an in-doubt COMMIT settled as committed, the append's answer lacks nothing: it
    // came back before the COMMIT.
    if (committed) committed(done.appended, done.after);
    CommandOutcome out;
    out.events = std::move(done.appended.events);
    out.stream_created_at = done.appended.stream_created_at;
    return out;
  }
  return domain::Error{domain::Code::Aborted, "COMMAND-CONFLICT",
                       "the object was changed concurrently too often; try again"};
}

template domain::Result<CommandOutcome> run_in_transactions<UserStream>(
    CommandContext&, const std::string&, const StreamRef&, const Decision<domain::MachineUser>&,
    const domain::Error&, const BeforeDecide&, int, const OnCommitted<UserStream>&);
template domain::Result<CommandOutcome> run_in_transactions<ScopeStream>(
    CommandContext&, const std::string&, const StreamRef&, const Decision<domain::MemberScope>&,
    const domain::Error&, const BeforeDecide&, int, const OnCommitted<ScopeStream>&);

}  // namespace mu::commands
