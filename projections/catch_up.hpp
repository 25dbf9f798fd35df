// Reading the events after they committed, without ever skipping one: the core
// of async projections and of rebuilds (migration 0006 explains the checkpoint).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "domain/event.hpp"

namespace mu::projections {

using ReduceBatch =
    std::function<void(pqxx::transaction_base&, const std::vector<domain::StoredEvent>&)>;

// One step inside `tx`: locks the checkpoint row `checkpoint` (creating it at the
// beginning of history), reads up to `limit` events of its window in position
// order, reduces them with `reduce` and moves the checkpoint, all in `tx`, so the
// read model and its checkpoint commit together. Returns the events reduced; 0
// means caught up with everything committed when the step began.
std::size_t catch_up_step(pqxx::transaction_base& tx, const std::string& checkpoint,
                          std::size_t limit, const ReduceBatch& reduce);

// The whole window at once, for the first pass of a rebuild: streams every event of
// it through `each` from a server-side cursor (bounded memory), then marks it done,
// all in `tx`. Returns the events streamed.
std::size_t catch_up_window(pqxx::transaction_base& tx, const std::string& checkpoint,
                            const std::function<void(const domain::StoredEvent&)>& each);

// The window's next event, without moving the checkpoint (the one a failing step
// stopped at).
std::optional<domain::StoredEvent> next_event(pqxx::transaction_base& tx,
                                              const std::string& checkpoint);

// Moves the checkpoint past the window's next event without reducing it (a
// poison event after its last attempt); returns that event's position, or 0.
std::int64_t skip_next_event(pqxx::transaction_base& tx, const std::string& checkpoint);

struct CheckpointState {
  std::string done_snapshot;
  std::int64_t events_reduced = 0;
  std::int64_t events_behind = 0;  // committed, not reduced yet
  double seconds_behind = 0;       // age of the oldest of those
};

// Where `checkpoint` stands against the committed events (creating nothing).
CheckpointState checkpoint_state(pqxx::transaction_base& tx, const std::string& checkpoint);

// Puts `checkpoint` back to the beginning of history.
void reset_checkpoint(pqxx::transaction_base& tx, const std::string& checkpoint);

// Copies `from`'s position to `to` (a rebuilt table takes over the live one's place).
void copy_checkpoint(pqxx::transaction_base& tx, const std::string& from, const std::string& to);

}  // namespace mu::projections
