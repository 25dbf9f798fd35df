// The command store on PostgreSQL: the worker's DbSession, its EventStore and
// IdempotencyStore, the inline read models, NOTIFY and the settling queries of
// eventstore/. The SQL is theirs; this only carries the command core's calls to them.
// Cheap to make (it holds a reference): one per command.
#pragma once

#include "app/commands/command_store.hpp"
#include "app/platform/db_session.hpp"

namespace mu::commands {

class PostgresCommandStore final : public CommandStore {
 public:
  explicit PostgresCommandStore(platform::DbSession& db) : db_(db) {}

  // A pqxx::work on the session's connection.
  std::unique_ptr<CommandTransaction> begin() override;

  std::optional<eventstore::StreamHead> read_head(const std::string& aggregate_type,
                                                  const std::string& aggregate_id) override;
  std::vector<domain::StoredEvent> read_events(const std::string& aggregate_type,
                                               const std::string& aggregate_id,
                                               std::uint64_t after_sequence) override;
  eventstore::Appended append_one(const eventstore::AppendRequest& request,
                                  const eventstore::StreamHead& head,
                                  const eventstore::StatementShares& shares) override;

  void reconnect() override;
  eventstore::TransactionStatus transaction_status(std::uint64_t tx_id) override;
  bool backend_gone(int backend_pid, const std::string& server_run) override;
  bool event_stored(const std::string& aggregate_type, const std::string& aggregate_id,
                    const domain::Hash& hash) override;

  domain::Error failure(const std::exception& e) override;

 private:
  platform::DbSession& db_;
};

}  // namespace mu::commands
