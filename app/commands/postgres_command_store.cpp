#include "app/commands/postgres_command_store.hpp"

#include "eventstore/notifications.hpp"

namespace mu::commands {

namespace {

class PostgresCommandTransaction final : public CommandTransaction {
 public:
  explicit PostgresCommandTransaction(platform::DbSession& db) : db_(db), tx_(db.connection()) {}

  std::optional<eventstore::StreamHead> read_head(const std::string& aggregate_type,
                                                  const std::string& aggregate_id,
                                                  bool lock) override {
    return db_.store().load_head(tx_, aggregate_type, aggregate_id, lock);
  }

  std::vector<domain::StoredEvent> read_events(const std::string& aggregate_type,
                                               const std::string& aggregate_id,
                                               std::uint64_t after_sequence) override {
    return db_.store().read_stream(tx_, aggregate_type, aggregate_id, after_sequence);
  }

  eventstore::Appended append(const eventstore::AppendRequest& request) override {
    return db_.store().append(tx_, request);
  }

  void reduce_inline(const std::vector<domain::StoredEvent>& events) override {
    db_.reduce_inline(tx_, events);
  }

  void notify(const std::string& channel, const std::string& payload) override {
    eventstore::notify(tx_, channel, payload);
  }

  bool claim_idempotency_key(const eventstore::IdempotencyRecord& record) override {
    return db_.idempotency().claim(tx_, record);
  }

  void commit() override {
    try {
      tx_.commit();
    } catch (const pqxx::in_doubt_error& e) {
      throw CommitInDoubt(e.what());
    }
  }

 private:
  platform::DbSession& db_;
  pqxx::work tx_;
};

}  // namespace

std::unique_ptr<CommandTransaction> PostgresCommandStore::begin() {
  return std::make_unique<PostgresCommandTransaction>(db_);
}

std::optional<eventstore::StreamHead> PostgresCommandStore::read_head(
    const std::string& aggregate_type, const std::string& aggregate_id) {
  pqxx::nontransaction tx(db_.connection());
  return db_.store().load_head(tx, aggregate_type, aggregate_id);
}

std::vector<domain::StoredEvent> PostgresCommandStore::read_events(
    const std::string& aggregate_type, const std::string& aggregate_id,
    std::uint64_t after_sequence) {
  pqxx::nontransaction tx(db_.connection());
  return db_.store().read_stream(tx, aggregate_type, aggregate_id, after_sequence);
}

eventstore::Appended PostgresCommandStore::append_one(const eventstore::AppendRequest& request,
                                                      const eventstore::StreamHead& head,
                                                      const eventstore::StatementShares& shares) {
  return db_.store().append_one(db_.connection(), request, head, shares);
}

void PostgresCommandStore::reconnect() {
  db_.reset();
  db_.connection();
}

eventstore::TransactionStatus PostgresCommandStore::transaction_status(std::uint64_t tx_id) {
  return eventstore::transaction_status(db_.connection(), tx_id);
}

bool PostgresCommandStore::backend_gone(int backend_pid, const std::string& server_run) {
  return eventstore::backend_gone(db_.connection(), backend_pid, server_run);
}

bool PostgresCommandStore::event_stored(const std::string& aggregate_type,
                                        const std::string& aggregate_id, const domain::Hash& hash) {
  return eventstore::event_stored(db_.connection(), aggregate_type, aggregate_id, hash);
}

domain::Error PostgresCommandStore::failure(const std::exception& e) {
  return db_.failure(e);
}

}  // namespace mu::commands
