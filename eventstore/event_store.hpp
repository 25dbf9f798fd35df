// The event store on PostgreSQL: append-only `events`, a `streams` head per
// aggregate (last sequence + write-model snapshot) and `unique_constraints`.
// One EventStore per connection; not thread-safe (neither is the connection).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "domain/event.hpp"
#include "domain/event_hash.hpp"
#include "eventstore/transaction_status.hpp"

namespace mu::eventstore {

// The head of one stream: its last sequence and the snapshot written with it.
struct StreamHead {
  std::uint64_t sequence = 0;
  std::string owner;
  nlohmann::json snapshot;  // null when the stream has none
  int snapshot_revision = 0;
  std::optional<domain::Hash> last_hash;  // the last event's hash (none before migration 0009)
  long long created_us = 0;  // the stream's creation (its first event's time), µs since the epoch
  long long updated_us = 0;  // its last append, at or after its last event's time
};

// A value that must be unique within its type, e.g. {"usernames", "<org>:<name>"}.
struct UniqueKey {
  std::string type;
  std::string value;
};

struct AppendRequest {
  std::string aggregate_type;
  std::string aggregate_id;
  std::string owner;      // resource owner (organization id)
  std::string creator;    // editor's user id
  domain::Origin origin;  // the call that wrote the events
  // The stream's sequence the decision was made on; 0 for a new stream.
  std::uint64_t expected_sequence = 0;
  std::vector<domain::NewEvent> events;  // at least one
  // The write model after the events, as JSON text, stored in the stream head; empty: none.
  std::string snapshot;
  int snapshot_revision = 0;
  std::vector<UniqueKey> claim;    // inserted; a taken key is UniqueKeyTaken
  std::vector<UniqueKey> release;  // deleted
};

// What an append wrote: the stored events, in sequence order, and the stream's
// creation date (its first event's time), which every call's details report.
struct Appended {
  std::vector<domain::StoredEvent> events;
  domain::Timestamp stream_created_at{};
  std::optional<domain::Hash> last_hash;  // the stream head's hash after the append
  long long updated_us = 0;               // the stream head's updated_at after it
};

// The parameters a read model's share of a one-statement append (append_one) may use, and
// the CTE it may read: each share is the body of a data-modifying CTE such as
//   UPDATE users_read_model SET ... FROM ev WHERE id = $2 AND sequence < $3::bigint
// reading `ev` (the inserted event: position) so that it writes nothing when the append
// wrote nothing.
//   $1 aggregate_type, $2 aggregate_id, $3 the event's sequence, $4 its payload (jsonb),
//   $5 its created_at as microseconds since the epoch (bigint), $6 its owner.
struct StatementShares {
  std::string key;                  // names the prepared statement: one per distinct list
  std::vector<std::string> shares;  // the CTE bodies, in reduction order
};

// The broken connection of a one-statement append: the statement may or may not have
// committed. backend_gone() and event_stored() find out.
struct LostAppend : std::runtime_error {
  LostAppend(int pid, std::uint64_t seq, domain::Hash h, std::string run = "")
      : std::runtime_error("the connection was lost during a one-statement append"),
        backend_pid(pid),
        sequence(seq),
        hash(h),
        server_run(std::move(run)) {}
  int backend_pid;         // the server process that ran it
  std::uint64_t sequence;  // the event's sequence
  domain::Hash hash;       // its hash: stored if and only if the statement committed
  std::string server_run;  // server_run() of the server it ran on ("": unknown)
};

// The stream moved since expected_sequence: reload, decide again.
struct ConcurrencyConflict : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A claimed unique key is held by another aggregate.
struct UniqueKeyTaken : std::runtime_error {
  UniqueKeyTaken(UniqueKey k, const std::string& what)
      : std::runtime_error(what), key(std::move(k)) {}
  UniqueKey key;
};

// The columns an event is read with (SELECT <kEventColumns> FROM events ...), and the
// event made from such a row: for every reader of the events (streams, catch-up).
inline constexpr const char* kEventColumns =
    "aggregate_type, aggregate_id, sequence, position, event_type, revision, payload::text, "
    "creator, owner, (extract(epoch FROM created_at) * 1000000)::bigint, tx_id";
inline constexpr std::size_t kEventColumnCount = 11;
domain::StoredEvent event_from_row(const pqxx::row& row);
// The same from the columns' text (as a COPY of that SELECT writes them, unescaped).
domain::StoredEvent event_from_text(const std::array<std::string_view, kEventColumnCount>& text);

class EventStore {
 public:
  // Prepares its statements on the connection.
  explicit EventStore(pqxx::connection_base& conn);

  // With lock, the head row is locked until the transaction ends (FOR UPDATE):
  // an append in the same transaction then cannot meet a conflict on an existing
  // stream. Commands take it after losing a race, so that retries are bounded.
  std::optional<StreamHead> load_head(pqxx::transaction_base& tx, const std::string& aggregate_type,
                                      const std::string& aggregate_id, bool lock = false);

  // All events of one aggregate with sequence > after_sequence, in sequence order.
  std::vector<domain::StoredEvent> read_stream(pqxx::transaction_base& tx,
                                               const std::string& aggregate_type,
                                               const std::string& aggregate_id,
                                               std::uint64_t after_sequence = 0);

  // Up to `limit` events with position > after_position, in position order.
  std::vector<domain::StoredEvent> read_after(pqxx::transaction_base& tx,
                                              std::int64_t after_position, std::size_t limit);

  // The aggregate holding a unique key, if any (e.g. who has a user name).
  std::optional<std::string> unique_key_holder(pqxx::transaction_base& tx, const UniqueKey& key);

  // Appends within the caller's transaction (so that inline projections commit
  // with the events) and returns the stored events. Throws ConcurrencyConflict
  // or UniqueKeyTaken; the caller's transaction is then unusable.
  Appended append(pqxx::transaction_base& tx, const AppendRequest& request);

  // Whether append_one can take this request on this head: one event on an existing stream
  // whose hash chain is known, no unique keys, a payload whose jsonb text domain::jsonb_text
  // knows.
  static bool one_statement_fits(const AppendRequest& request, const StreamHead& head);

  // One event in one autocommit statement, the write path of the common command: the head
  // moves from `head` (its sequence and hash: a head that moved is ConcurrencyConflict and
  // nothing is written), the event is inserted with its hash computed here, and the read
  // models' shares reduce it, all committed together. Needs one_statement_fits. Throws
  // LostAppend when the connection breaks meanwhile.
  Appended append_one(pqxx::connection_base& conn, const AppendRequest& request,
                      const StreamHead& head, const StatementShares& shares);

 private:
  std::set<std::string> prepared_one_;  // the append_one statements prepared on the connection
  std::string server_run_;              // server_run() of the connection, once asked
};

// What became of a LostAppend, asked on a new connection, in this order (the caller's
// settling loop): whether the server process that ran it is gone, then whether its event
// (by hash) is stored. The absence of the event is final only once that process is gone.
//
// Whether server process `pid` is gone: ended first when it is still there and ours (it then
// either ran its statement to the end, a commit holding interrupts off, or never will). When
// `run` (the server_run() the statement ran under) is not this server's, the process is on
// another server or an earlier run of this one: gone from here, and the pid, which may name an
// unrelated session here (after a failover, a restart), is left alone.
bool backend_gone(pqxx::connection_base& conn, int pid, const std::string& run = "");
// Which server run a connection reaches: the postmaster's start time, which differs between
// the nodes of a cluster and between two runs of one node.
std::string server_run(pqxx::connection_base& conn);
// Whether the stream holds the event with this hash.
bool event_stored(pqxx::connection_base& conn, const std::string& aggregate_type,
                  const std::string& aggregate_id, const domain::Hash& hash);

}  // namespace mu::eventstore
