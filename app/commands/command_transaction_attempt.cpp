#include "app/commands/command_transaction_attempt.hpp"

#include <algorithm>

#include "domain/permissions.hpp"
#include "projections/async_runner.hpp"
#include "projections/registry.hpp"

namespace mu::commands {

template <class Stream>
std::optional<domain::Error> attempt_in_transaction(CommandContext& ctx, const std::string& type,
                                                    const StreamRef& stream,
                                                    const Decision<typename Stream::State>& decide,
                                                    const BeforeDecide& before, bool lock_head,
                                                    TransactionAttempt<Stream>& out) {
  auto tx = ctx.store.begin();
  if (before) before(*tx);
  auto loaded = load<Stream>(*tx, type, stream.id, lock_head);
  if (stream.expected_sequence && *stream.expected_sequence != loaded.sequence) {
    return domain::Error{domain::Code::Aborted, "COMMAND-IfMatch",
                         "the object is at sequence " + std::to_string(loaded.sequence) + ", not " +
                             std::to_string(*stream.expected_sequence) +
                             " as If-Match says; read it again"};
  }
  auto decided = decide(loaded.state);
  if (!decided.ok()) return decided.error();
  auto planned = plan_append<Stream>(type, stream, loaded, std::move(decided).value());
  out.after = std::move(planned.after);

  out.appended = tx->append(planned.request);
  const auto& events = out.appended.events;
  tx->reduce_inline(events);
  out.changes_auth = std::any_of(events.begin(), events.end(), [](const auto& e) {
    return domain::affects_authentication(e.type);
  });
  // Delivered at COMMIT, to every instance's cache.
  if (out.changes_auth) tx->notify(kAuthChannel, stream.id);
  // Wakes the async runners. Only when some run: NOTIFY takes a database-wide lock
  // at COMMIT, which orders committing writers one after another.
  if (projections::any_async()) tx->notify(projections::kEventsChannel, "");
  if (const auto* key = stream.idempotency) {
    const auto& last = events.back();
    if (!tx->claim_idempotency_key({stream.editor_id, key->key, key->request_hash, key->rpc, type,
                                    stream.id, last.sequence, std::nullopt})) {
      // Rolled back as the transaction goes: nothing of this call is written.
      return domain::Error{domain::Code::Aborted, kIdempotencyReplay,
                           "another call with this Idempotency-Key committed first"};
    }
  }
  tx->commit();
  return std::nullopt;
}

template std::optional<domain::Error> attempt_in_transaction<UserStream>(
    CommandContext&, const std::string&, const StreamRef&, const Decision<domain::MachineUser>&,
    const BeforeDecide&, bool, TransactionAttempt<UserStream>&);
template std::optional<domain::Error> attempt_in_transaction<ScopeStream>(
    CommandContext&, const std::string&, const StreamRef&, const Decision<domain::MemberScope>&,
    const BeforeDecide&, bool, TransactionAttempt<ScopeStream>&);

}  // namespace mu::commands
