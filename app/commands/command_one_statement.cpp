#include "app/commands/command_one_statement.hpp"

#include <stdexcept>

#include "app/commands/command_plan.hpp"
#include "app/commands/command_settle.hpp"
#include "app/platform/metrics.hpp"
#include "domain/permissions.hpp"
#include "projections/registry.hpp"

namespace mu::commands {

namespace {

using UserEntry = UserWriteModels::Entry;

// The write model of a user from its stream head alone (one autocommit read), or nullopt
// when the head has no usable snapshot (the transaction path then folds the events).
std::optional<UserEntry> read_user_entry(CommandStore& store, const std::string& type,
                                         const std::string& id) {
  auto head = store.read_head(type, id);
  if (!head) return std::nullopt;
  auto state = UserStream::from_snapshot(head->snapshot, head->snapshot_revision);
  if (!state || state->sequence != head->sequence) return std::nullopt;
  return UserEntry{std::move(*state), std::move(*head)};
}

// The outcome of a one-statement append found committed after its connection broke: its
// event and its stream's creation, read back.
domain::Result<CommandOutcome> read_back_committed(CommandStore& store, const std::string& type,
                                                   const std::string& id,
                                                   const eventstore::LostAppend& lost) {
  try {
    const auto head = store.read_head(type, id);
    const auto events = store.read_events(type, id, lost.sequence - 1);
    if (!head || events.empty() || events.front().sequence != lost.sequence) {
      throw std::runtime_error("the committed event is not there to read back");
    }
    CommandOutcome out;
    out.events = {events.front()};
    out.stream_created_at = domain::from_unix_micros(head->created_us);
    platform::metrics().events_appended += 1;
    return out;
  } catch (const std::exception& e) {
    return store.failure(e);
  }
}

}  // namespace

std::optional<domain::Result<CommandOutcome>> run_user_one_statement(
    CommandContext& ctx, const std::string& type, const StreamRef& stream,
    const Decision<domain::MachineUser>& decide, bool& conflicted) {
  // A key is claimed in the events' transaction: that needs the transaction path.
  if (stream.idempotency) return std::nullopt;
  auto entry = ctx.users.find(stream.id);
  const bool cached = entry.has_value();
  try {
    if (!cached) entry = read_user_entry(ctx.store, type, stream.id);
  } catch (const std::exception& e) {
    return domain::Result<CommandOutcome>(ctx.store.failure(e));
  }
  if (!entry) return std::nullopt;  // no stream, or no usable snapshot
  // A cached entry may be stale: only the transaction path's read may refuse the call.
  if (stream.expected_sequence && *stream.expected_sequence != entry->head.sequence) {
    return std::nullopt;
  }
  auto decided = decide(entry->state);
  if (!decided.ok()) {
    if (cached) return std::nullopt;
    return domain::Result<CommandOutcome>(decided.error());
  }
  auto events = std::move(decided).value();
  // Events that change who may call are announced in the transaction (NOTIFY), and the
  // inline read models must all be able to take the event in SQL.
  if (events.size() != 1 || domain::affects_authentication(events.front().type)) {
    return std::nullopt;
  }
  const auto shares = projections::statement_shares(type, events.front().type);
  if (!shares) return std::nullopt;
  auto planned = plan_append<UserStream>(
      type, stream, Loaded<UserStream>{entry->state, entry->head.sequence}, std::move(events));
  if (!eventstore::EventStore::one_statement_fits(planned.request, entry->head)) {
    return std::nullopt;
  }

  eventstore::Appended appended;
  try {
    appended = ctx.store.append_one(planned.request, entry->head, *shares);
  } catch (const eventstore::ConcurrencyConflict&) {
    // Another call (here or in another instance) moved the stream: decide again on what
    // the transaction path reads, under the head's lock.
    ctx.users.forget(stream.id);
    ++platform::metrics().command_conflicts;
    ++platform::metrics().command_retries;
    conflicted = true;
    return std::nullopt;
  } catch (const eventstore::LostAppend& lost) {
    ctx.users.forget(stream.id);
    ++platform::metrics().in_doubt_commits;
    switch (settle_append(ctx, lost, type, stream.id)) {
      case eventstore::TransactionStatus::Committed:
        return read_back_committed(ctx.store, type, stream.id, lost);
      case eventstore::TransactionStatus::Aborted:
        return std::nullopt;  // nothing was written: the transaction path runs it
      default:
        return domain::Result<CommandOutcome>(domain::Error{
            domain::Code::Unavailable, "COMMAND-InDoubt",
            "the database connection was lost while the write was under way and its outcome "
            "is unknown; read the object to see whether it was applied, or retry with an "
            "Idempotency-Key"});
    }
  } catch (const std::exception& e) {
    ctx.users.forget(stream.id);
    return domain::Result<CommandOutcome>(ctx.store.failure(e));
  }
  ctx.users.remember(stream.id, cache_entry<UserStream>(std::move(planned.after), appended));
  platform::metrics().events_appended += 1;
  ++platform::metrics().one_statement_commands;
  CommandOutcome out;
  out.events = std::move(appended.events);
  out.stream_created_at = appended.stream_created_at;
  return domain::Result<CommandOutcome>(std::move(out));
}

}  // namespace mu::commands
