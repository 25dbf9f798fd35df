#include "app/platform/readiness.hpp"

#include <pqxx/pqxx>

#include "eventstore/db_errors.hpp"
#include "eventstore/migrations.hpp"

namespace mu::platform {

std::optional<domain::Error> readiness(platform::DbSession& db) {
  // A worker's connection may have died while it was idle (the database restarted, an
  // operator ended it): that says nothing about the database now, so a lost connection is
  // tried once more on a new one before the answer is "not ready".
  for (int attempt = 1;; ++attempt) {
    try {
      pqxx::read_transaction tx(db.connection());
      auto pending = eventstore::pending_migrations(tx, eventstore::embedded_migrations());
      if (pending.empty()) return std::nullopt;
      return domain::Error{
          domain::Code::Unavailable, "READY-migrations",
          "migrations not applied: " + pending.front() + (pending.size() > 1 ? " and others" : "")};
    } catch (const std::exception& e) {
      auto error = db.failure(e);  // resets the session on a lost connection
      if (attempt == 2 || !eventstore::is_connection_error(e)) return error;
    }
  }
}

}  // namespace mu::platform
