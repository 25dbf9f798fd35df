// Runs one command against one stream: load the write model (one read of the
// stream head and its snapshot), decide, then append the events and reduce them
// into the inline read models, in one transaction. When another writer moved
// the stream in between, it reloads and decides again, this time holding the
// stream head's row lock from the read on, so the retry cannot be overtaken:
// no lost update, no decision on stale state, and (but for two creations of
// one new id) no second conflict.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/commands/backend.hpp"
#include "app/commands/call_context.hpp"
#include "domain/machine_user.hpp"
#include "domain/org.hpp"

namespace mu::commands {

template <class State>
using Decision = std::function<domain::Result<std::vector<domain::NewEvent>>(const State&)>;

// What a command wrote. A call's details come from here alone (its events and its
// stream's creation date), never from a read model read after COMMIT, so that read
// models may run inline or asynchronously.
struct CommandOutcome {
  std::vector<domain::StoredEvent> events;
  domain::Timestamp stream_created_at{};

  // zitadel.v1.ObjectDetails of the call: the last event's sequence, time and owner.
  api::ObjectDetails details() const {
    const auto& last = events.back();
    return {last.sequence, stream_created_at, last.created_at, last.owner};
  }
};

struct StreamRef {
  std::string id;
  std::string owner;      // the owner of a new stream (its organization)
  std::string editor_id;  // recorded as every event's creator
  // The stream's sequence the caller decided on (If-Match); a stream that moved
  // on is Aborted, also when the move is discovered on a retry.
  std::optional<std::uint64_t> expected_sequence = std::nullopt;
  // Recorded with the events when set; a key another call committed first is
  // the error kIdempotencyReplay (nothing is written: answer from the record).
  const api::IdempotencyKey* idempotency = nullptr;
  domain::Origin origin{};  // recorded with every event
};

inline const api::IdempotencyKey* key_of(const api::CallContext& ctx) {
  return ctx.idempotency ? &*ctx.idempotency : nullptr;
}

// The error id of "this key was used by a call that committed first".
inline constexpr const char* kIdempotencyReplay = "IDEMPOTENCY-replay";

// How long a command waits to learn the outcome of a COMMIT whose connection was lost.
inline constexpr std::chrono::milliseconds kInDoubtDeadline{5000};

// Attempts before giving up with Aborted; only creations racing on one new id
// can need more than two.
inline constexpr int kMaxCommandAttempts = 10;

// A machine user's stream ("user").
domain::Result<CommandOutcome> run_user_command(Backend& b, const StreamRef& stream,
                                                const Decision<domain::MachineUser>& decide);
// An organization's stream ("org"), or with kind Instance the instance's ("instance").
// With member_user_id, that user's stream head is read and locked first in the
// same transaction, and `decide` learns whether the user exists: a membership
// then cannot be granted to a user whose removal commits at the same time (the
// removal would miss the new membership and leave it behind).
using ScopeDecision = std::function<domain::Result<std::vector<domain::NewEvent>>(
    const domain::MemberScope&, bool member_exists)>;
domain::Result<CommandOutcome> run_scope_command(Backend& b, domain::ScopeKind kind,
                                                 const StreamRef& stream,
                                                 const ScopeDecision& decide,
                                                 const std::string& member_user_id = "");

// The channel on which commands that change who may call tell every instance
// to forget its cached authentications. The instance that ran the command
// forgets its own at once, before it answers.
inline constexpr const char* kAuthChannel = "mu_auth";

}  // namespace mu::commands
