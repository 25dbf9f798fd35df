// What the command core needs from the database, and nothing more: a stream's head and
// events, an append in a transaction (with the inline read models, NOTIFY and the
// idempotency claim), the one-statement append, and the questions that settle a write
// whose connection was lost. The core's rules (retries, conflicts, If-Match, settling)
// are then written once against this interface, and tested against an in-memory fake
// (fake_command_store_test.hpp); PostgresCommandStore is the one the service runs.
//
// Errors keep the event store's types: eventstore::ConcurrencyConflict (the head moved),
// eventstore::UniqueKeyTaken, eventstore::LostAppend, and CommitInDoubt below. Anything
// else thrown is a database failure, which failure() turns into the call's error.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "domain/error.hpp"
#include "domain/event.hpp"
#include "eventstore/event_store.hpp"
#include "eventstore/idempotency_store.hpp"
#include "eventstore/transaction_status.hpp"

namespace mu::commands {

// The connection was lost while COMMIT was under way: the transaction may or may not have
// committed. Its events' tx_id (from the append) tells which, on a new connection.
struct CommitInDoubt : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One transaction of a command on the store's connection. Destroyed without commit(), it
// rolls back: nothing it wrote stays, and no NOTIFY is delivered.
class CommandTransaction {
 public:
  virtual ~CommandTransaction() = default;

  // The stream head with its write-model snapshot; with lock, the head's row stays locked
  // (FOR UPDATE) until the transaction ends, so that no other writer can move it meanwhile.
  virtual std::optional<eventstore::StreamHead> read_head(const std::string& aggregate_type,
                                                          const std::string& aggregate_id,
                                                          bool lock) = 0;
  // The stream's events after `after_sequence`, in order (a snapshot of another revision
  // leaves the write model to be folded from them).
  virtual std::vector<domain::StoredEvent> read_events(const std::string& aggregate_type,
                                                       const std::string& aggregate_id,
                                                       std::uint64_t after_sequence = 0) = 0;
  // Throws eventstore::ConcurrencyConflict or eventstore::UniqueKeyTaken; the transaction
  // is unusable after either.
  virtual eventstore::Appended append(const eventstore::AppendRequest& request) = 0;
  // Into every read model that runs inline in this process.
  virtual void reduce_inline(const std::vector<domain::StoredEvent>& events) = 0;
  // Delivered at COMMIT, never on a rollback.
  virtual void notify(const std::string& channel, const std::string& payload) = 0;
  // False when a live record of (caller, key) exists: another call with the key committed
  // first (a concurrent one waits here until that one ends).
  virtual bool claim_idempotency_key(const eventstore::IdempotencyRecord& record) = 0;
  // Throws CommitInDoubt when the connection broke before COMMIT's answer came back.
  virtual void commit() = 0;
};

class CommandStore {
 public:
  virtual ~CommandStore() = default;

  virtual std::unique_ptr<CommandTransaction> begin() = 0;

  // Autocommit reads, outside any transaction.
  virtual std::optional<eventstore::StreamHead> read_head(const std::string& aggregate_type,
                                                          const std::string& aggregate_id) = 0;
  virtual std::vector<domain::StoredEvent> read_events(const std::string& aggregate_type,
                                                       const std::string& aggregate_id,
                                                       std::uint64_t after_sequence) = 0;

  // One event in one autocommit statement (eventstore::EventStore::append_one): throws
  // eventstore::ConcurrencyConflict when the head is no longer at `head`'s sequence and
  // hash, eventstore::LostAppend when the connection broke under way.
  virtual eventstore::Appended append_one(const eventstore::AppendRequest& request,
                                          const eventstore::StreamHead& head,
                                          const eventstore::StatementShares& shares) = 0;

  // Settling a lost write, each on the connection reconnect() opened.
  // Drops the connection and opens a new one; throws when the database cannot be reached.
  virtual void reconnect() = 0;
  virtual eventstore::TransactionStatus transaction_status(std::uint64_t tx_id) = 0;
  // Whether the server process that ran a lost statement is gone (ended first if not).
  // `server_run`: the LostAppend's; on another server run the pid is not looked up.
  virtual bool backend_gone(int backend_pid, const std::string& server_run) = 0;
  // Whether the stream holds the event with this hash.
  virtual bool event_stored(const std::string& aggregate_type, const std::string& aggregate_id,
                            const domain::Hash& hash) = 0;

  // A database exception as the call's error: Unavailable when the connection is gone
  // (which is then dropped), Internal otherwise.
  virtual domain::Error failure(const std::exception& e) = 0;
};

}  // namespace mu::commands
