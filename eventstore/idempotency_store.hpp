// Idempotency keys in PostgreSQL (migration 0004): claimed inside a command's
// transaction, answered from on a retry. One per connection, like EventStore.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <pqxx/pqxx>

namespace mu::eventstore {

// How long a key is remembered.
inline constexpr int kIdempotencyKeyHours = 24;

struct IdempotencyRecord {
  std::string caller;
  std::string key;
  std::string request_hash;
  std::string rpc;
  std::string aggregate_type;
  std::string aggregate_id;
  std::uint64_t sequence = 0;
  std::optional<std::string> response;  // nullopt until recorded after COMMIT
};

class IdempotencyStore {
 public:
  explicit IdempotencyStore(pqxx::connection_base& conn);

  // Inside the command's transaction, after its append. False when a live record
  // of (caller, key) exists already: another call with the key committed first
  // (a concurrent one waits here until that one ends). An expired one is replaced.
  bool claim(pqxx::transaction_base& tx, const IdempotencyRecord& record);

  // The live (not expired) record of (caller, key), if any.
  std::optional<IdempotencyRecord> find(pqxx::transaction_base& tx, const std::string& caller,
                                        const std::string& key);

  void record_response(pqxx::transaction_base& tx, const std::string& caller,
                       const std::string& key, const std::string& response);

  // Deletes expired records; returns how many.
  std::size_t purge_expired(pqxx::transaction_base& tx);
};

}  // namespace mu::eventstore
