// One database connection with everything prepared on it: the event store and
// the inline projections. Owned by one worker thread; reconnects lazily after
// the connection was lost.
#pragma once

#include <memory>
#include <string>

#include <pqxx/pqxx>

#include "domain/error.hpp"
#include "eventstore/event_store.hpp"
#include "eventstore/idempotency_store.hpp"
#include "projections/auth_projections.hpp"
#include "projections/machine_credentials.hpp"
#include "projections/registry.hpp"
#include "projections/token_lookup.hpp"
#include "projections/users_projection.hpp"

namespace mu::platform {

class DbSession {
 public:
  // `read_url`: a standby's URL (e.g. target_session_attrs=prefer-standby) that reader() may
  // send reads to; empty: every read goes to `url`.
  explicit DbSession(std::string url, std::string read_url = "");
  ~DbSession();

  // Connects (and prepares) when not connected; throws pqxx::broken_connection.
  pqxx::connection& connection();
  eventstore::EventStore& store();
  eventstore::IdempotencyStore& idempotency();
  projections::UsersProjection& users();
  projections::AuthProjections& auth();
  projections::TokenLookup& tokens();
  projections::MachineCredentials& credentials();

  // Reduces a command's events into every read model that runs inline in this
  // process (the registry's, in its order), in the command's transaction.
  void reduce_inline(pqxx::transaction_base& tx, const std::vector<domain::StoredEvent>& events);

  // Between jobs: a connection on which the server spoke unasked (a backend that
  // was terminated or a server that restarted sends a notice, then EOF) is dropped,
  // so that the next job opens a new one instead of failing on the dead one.
  void drop_if_closed_by_server();

  // Forget the connection after an error that may have broken it.
  void reset();

  // Where a read that must see every write acknowledged before it began runs: the standby
  // session when it has replayed the primary's WAL up to the position the primary has reached
  // now (asked first, on this session: every acknowledged COMMIT lies before it), else this
  // session, the primary's. Without a read URL, or when the standby cannot be reached, this.
  // The cost is the two small questions; docs/operations.md has the figures.
  DbSession& reader();

  // Turns a database exception into the call's error: Unavailable (and a reset)
  // when the connection is gone, Internal otherwise (logged, never shown).
  domain::Error failure(const std::exception& e);

 private:
  void ensure_connected();

  std::string url_;
  std::string read_url_;
  std::unique_ptr<DbSession> standby_;
  std::unique_ptr<pqxx::connection> conn_;
  std::unique_ptr<eventstore::EventStore> store_;
  std::unique_ptr<eventstore::IdempotencyStore> idempotency_;
  std::unique_ptr<projections::UsersProjection> users_;
  std::unique_ptr<projections::AuthProjections> auth_;
  std::unique_ptr<projections::TokenLookup> tokens_;
  std::unique_ptr<projections::MachineCredentials> credentials_;
  std::vector<std::pair<std::string, projections::ReduceBatch>> reducers_;
};

}  // namespace mu::platform
