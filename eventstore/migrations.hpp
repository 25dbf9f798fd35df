// Numbered SQL migrations, embedded in the binary at build time, applied in
// order, each once, each in its own transaction, under an advisory lock, and
// recorded with a checksum.
#pragma once

#include <stdexcept>
#include <string>
#include <vector>

#include <pqxx/pqxx>

namespace mu::eventstore {

struct Migration {
  int version = 0;   // from the file name: 0001_events.sql -> 1
  std::string name;  // the file name, e.g. "0001_events.sql"
  std::string sql;
};

// The files of migrations/ as compiled into this binary, in version order.
const std::vector<Migration>& embedded_migrations();

// Hex SHA-256 of a migration's text.
std::string migration_checksum(const std::string& sql);

struct MigrationError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Applies the pending migrations; returns the names of those applied now.
// Throws MigrationError when an applied file's checksum changed (naming the file)
// or when a migration fails.
std::vector<std::string> migrate(pqxx::connection_base& conn,
                                 const std::vector<Migration>& migrations);

// The names of the migrations not applied yet (all of them on an empty database);
// empty when the database is current. Reads only, takes no lock.
std::vector<std::string> pending_migrations(pqxx::transaction_base& tx,
                                            const std::vector<Migration>& migrations);

}  // namespace mu::eventstore
