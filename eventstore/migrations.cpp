#include "eventstore/migrations.hpp"

#include "domain/sha256.hpp"

#include <map>
#include <set>
#include <string_view>

namespace mu::eventstore {
namespace {

// The advisory lock that serialises migrators of one database (advisory locks are
// per database, so test databases on one server do not wait for each other).
constexpr long long kMigrationLockKey = 0x6d755f6d69677261;  // "mu_migra"

// Holds the session-level advisory lock; releases it however migrate() ends.
class MigrationLock {
 public:
  explicit MigrationLock(pqxx::connection_base& conn) : conn_(conn) {
    pqxx::nontransaction tx(conn_, "migration_lock");
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLockKey) + ")");
  }
  ~MigrationLock() {
    try {
      pqxx::nontransaction tx(conn_, "migration_unlock");
      tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLockKey) + ")");
    } catch (...) {
      // The connection is gone, and with its session the lock.
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  pqxx::connection_base& conn_;
};

struct Applied {
  std::string name;
  std::string checksum;
};

void check_order(const std::vector<Migration>& migrations) {
  int last = 0;
  for (const auto& m : migrations) {
    if (m.version <= last) {
      throw MigrationError("migration " + m.name + " is out of order or its number is taken twice");
    }
    last = m.version;
  }
}

std::map<int, Applied> applied_migrations(pqxx::connection_base& conn) {
  pqxx::work tx(conn, "migration_state");
  // Checked rather than CREATE ... IF NOT EXISTS, which prints a notice on every start.
  if (tx.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>()) {
    tx.exec(
        "CREATE TABLE schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " checksum text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
  }
  std::map<int, Applied> applied;
  for (const auto& row : tx.exec("SELECT version, name, checksum FROM schema_migrations")) {
    applied[row[0].as<int>()] = {row[1].as<std::string>(), row[2].as<std::string>()};
  }
  tx.commit();
  return applied;
}

// Every applied migration must be one of ours, unchanged.
void verify_applied(const std::map<int, Applied>& applied,
                    const std::vector<Migration>& migrations) {
  std::map<int, const Migration*> known;
  for (const auto& m : migrations) known[m.version] = &m;
  for (const auto& [version, row] : applied) {
    const auto it = known.find(version);
    if (it == known.end()) {
      throw MigrationError("migration " + row.name +
                           " is applied but not part of this binary (the database is newer "
                           "than the binary)");
    }
    if (migration_checksum(it->second->sql) != row.checksum) {
      throw MigrationError("migration " + it->second->name +
                           " was changed after it was applied (checksum mismatch)");
    }
  }
}

void apply_one(pqxx::connection_base& conn, const Migration& m) {
  try {
    // The schema change and its record commit together, or neither does.
    pqxx::work tx(conn, "migration");
    tx.exec(m.sql);
    tx.exec("INSERT INTO schema_migrations (version, name, checksum) VALUES (" +
            tx.quote(m.version) + ", " + tx.quote(m.name) + ", " +
            tx.quote(migration_checksum(m.sql)) + ")");
    tx.commit();
  } catch (const pqxx::broken_connection&) {
    throw;
  } catch (const std::exception& e) {
    throw MigrationError("migration " + m.name + " failed: " + e.what());
  }
}

}  // namespace

std::string migration_checksum(const std::string& sql) {
  return domain::sha256_hex(sql);
}

std::vector<std::string> migrate(pqxx::connection_base& conn,
                                 const std::vector<Migration>& migrations) {
  check_order(migrations);
  // A second process starting at the same time waits here, then finds everything applied.
  MigrationLock lock(conn);
  const auto applied = applied_migrations(conn);
  verify_applied(applied, migrations);

  std::vector<std::string> now_applied;
  for (const auto& m : migrations) {
    if (applied.count(m.version) != 0) continue;
    apply_one(conn, m);
    now_applied.push_back(m.name);
  }
  return now_applied;
}

std::vector<std::string> pending_migrations(pqxx::transaction_base& tx,
                                            const std::vector<Migration>& migrations) {
  std::vector<std::string> pending;
  std::set<int> applied;
  if (!tx.exec1("SELECT to_regclass('schema_migrations') IS NULL")[0].as<bool>()) {
    for (const auto& row : tx.exec("SELECT version FROM schema_migrations")) {
      applied.insert(row[0].as<int>());
    }
  }
  for (const auto& m : migrations) {
    if (!applied.count(m.version)) pending.push_back(m.name);
  }
  return pending;
}

}  // namespace mu::eventstore
