// The migration runner: once each, checksummed, serialised across processes.
#include <thread>

#include <catch2/catch.hpp>

#include "eventstore/migrations.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using eventstore::embedded_migrations;
using eventstore::migrate;
using eventstore::MigrationError;

namespace {

std::vector<std::string> all_names() {
  std::vector<std::string> names;
  for (const auto& m : embedded_migrations()) names.push_back(m.name);
  return names;
}

}  // namespace

TEST_CASE("migration_checksum is the hex SHA-256 of the text", "[migrations]") {
  CHECK(eventstore::migration_checksum("") ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(eventstore::migration_checksum("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("the embedded migrations start with 0001_event_store.sql", "[migrations]") {
  REQUIRE_FALSE(embedded_migrations().empty());
  CHECK(embedded_migrations()[0].version == 1);
  CHECK(embedded_migrations()[0].name == "0001_event_store.sql");
  CHECK(embedded_migrations()[0].sql.find("CREATE TABLE events") != std::string::npos);
}

TEST_CASE("migrate applies every migration once and a second run is a no-op", "[migrations]") {
  testing::TestDatabase db(false);
  pqxx::connection conn(db.url());

  CHECK(migrate(conn, embedded_migrations()) == all_names());
  CHECK(migrate(conn, embedded_migrations()).empty());

  pqxx::read_transaction tx(conn);
  const auto rows = tx.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY 1");
  REQUIRE(rows.size() == embedded_migrations().size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& m = embedded_migrations()[i];
    CHECK(rows[i][0].as<int>() == m.version);
    CHECK(rows[i][1].as<std::string>() == m.name);
    CHECK(rows[i][2].as<std::string>() == eventstore::migration_checksum(m.sql));
  }
  CHECK(tx.exec1("SELECT count(*) FROM current_states WHERE projection = 'users'")[0].as<int>() ==
        1);
}

TEST_CASE("pending migrations are applied after the ones already there", "[migrations]") {
  testing::TestDatabase db(false);
  pqxx::connection conn(db.url());
  const auto& all = embedded_migrations();
  REQUIRE(all.size() >= 2);
  CHECK(migrate(conn, {all[0]}) == std::vector<std::string>{all[0].name});
  auto rest = all_names();
  rest.erase(rest.begin());
  CHECK(migrate(conn, all) == rest);
}

TEST_CASE("a migration changed after it was applied stops migrate naming the file",
          "[migrations]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  {
    pqxx::work tx(conn);
    tx.exec("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1");
    tx.commit();
  }
  REQUIRE_THROWS_MATCHES(
      migrate(conn, embedded_migrations()), MigrationError,
      Catch::Message(
          "migration 0001_event_store.sql was changed after it was applied (checksum mismatch)"));

  // Equally when the file in the binary is the one that changed.
  auto edited = embedded_migrations();
  edited[1].sql += "\n-- an innocent comment\n";
  {
    pqxx::work tx(conn);
    tx.exec("UPDATE schema_migrations SET checksum = " +
            tx.quote(eventstore::migration_checksum(embedded_migrations()[0].sql)) +
            " WHERE version = 1");
    tx.commit();
  }
  REQUIRE_THROWS_WITH(migrate(conn, edited),
                      Catch::Contains(edited[1].name) && Catch::Contains("checksum mismatch"));
}

TEST_CASE("a database newer than the binary is refused", "[migrations]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  {
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO schema_migrations (version, name, checksum) "
        "VALUES (9999, '9999_future.sql', 'x')");
    tx.commit();
  }
  REQUIRE_THROWS_WITH(migrate(conn, embedded_migrations()),
                      Catch::Contains("9999_future.sql") && Catch::Contains("newer"));
}

TEST_CASE("a failing migration rolls back and names the file and releases the lock",
          "[migrations]") {
  testing::TestDatabase db(false);
  auto broken = embedded_migrations();
  broken.push_back({9000, "9000_broken.sql", "CREATE TABLE half_done (x int); SELEC oops;"});
  {
    pqxx::connection conn(db.url());
    REQUIRE_THROWS_WITH(migrate(conn, broken), Catch::Contains("9000_broken.sql"));
    pqxx::read_transaction tx(conn);
    CHECK(tx.exec1("SELECT count(*) FROM schema_migrations")[0].as<std::size_t>() ==
          embedded_migrations().size());
    CHECK(tx.exec1("SELECT to_regclass('half_done') IS NULL")[0].as<bool>());
  }
  // The first connection is still open; another one must not wait for its lock.
  pqxx::connection first(db.url());
  REQUIRE_THROWS_AS(migrate(first, broken), MigrationError);
  pqxx::connection second(db.url());
  {
    pqxx::nontransaction tx(second);
    tx.exec("SET lock_timeout = '5s'");
  }
  CHECK(migrate(second, embedded_migrations()).empty());
}

TEST_CASE("two migrators on a fresh database at once both succeed", "[migrations]") {
  for (int round = 0; round < 5; ++round) {
    testing::TestDatabase db(false);
    std::vector<std::string> applied[2];
    std::string errors[2];
    std::vector<std::thread> threads;
    for (int i = 0; i < 2; ++i) {
      threads.emplace_back([&, i] {
        try {
          pqxx::connection conn(db.url());
          applied[i] = migrate(conn, embedded_migrations());
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(errors[0].empty());
    CHECK(errors[1].empty());
    // One applied everything, the other waited and found nothing left to do.
    CHECK(applied[0].size() + applied[1].size() == embedded_migrations().size());
    CHECK((applied[0] == all_names() || applied[1] == all_names()));
    pqxx::connection conn(db.url());
    CHECK(testing::count_rows(conn, "SELECT count(*) FROM schema_migrations") ==
          static_cast<long long>(embedded_migrations().size()));
  }
}
