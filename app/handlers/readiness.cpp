#include "app/handlers/readiness.hpp"

#include <pqxx/pqxx>

#include "eventstore/migrations.hpp"

namespace mu::handlers {

std::optional<domain::Error> readiness(runtime::DbSession& db) {
  try {
    pqxx::read_transaction tx(db.connection());
    auto pending = eventstore::pending_migrations(tx, eventstore::embedded_migrations());
    if (pending.empty()) return std::nullopt;
    return domain::Error{
        domain::Code::Unavailable, "READY-migrations",
        "migrations not applied: " + pending.front() + (pending.size() > 1 ? " and others" : "")};
  } catch (const std::exception& e) {
    return db.failure(e);
  }
}

}  // namespace mu::handlers
