// Database failures as the service reports them, and node ids for the id generator.
#include <set>

#include <catch2/catch.hpp>

#include "eventstore/db_errors.hpp"
#include "eventstore/node_ids.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;

TEST_CASE("a lost connection is Unavailable and an SQL error Internal without SQL", "[db_errors]") {
  testing::TestDatabase db;
  pqxx::connection victim(db.url());
  const int pid = victim.backendpid();
  {
    pqxx::connection killer(db.url());
    pqxx::nontransaction tx(killer);
    tx.exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");
  }
  try {
    pqxx::work tx(victim);
    tx.exec("SELECT 1");
    FAIL("the terminated connection still worked");
  } catch (const std::exception& e) {
    CHECK(eventstore::is_connection_error(e));
    const auto error = eventstore::classify_db_error(e);
    CHECK(error.code == domain::Code::Unavailable);
    CHECK(error.message == "the database is unreachable");
  }

  pqxx::connection conn(db.url());
  try {
    pqxx::work tx(conn);
    tx.exec("SELECT secret_column FROM events");
    FAIL("the query should have failed");
  } catch (const std::exception& e) {
    CHECK_FALSE(eventstore::is_connection_error(e));
    const auto error = eventstore::classify_db_error(e);
    CHECK(error.code == domain::Code::Internal);
    CHECK(error.message == "internal error");
    CHECK(error.full_message().find("secret_column") == std::string::npos);
  }
  CHECK(eventstore::classify_db_error(std::runtime_error("x")).code == domain::Code::Internal);
}

TEST_CASE("allocate_node_id hands out a different id on each call", "[node_ids]") {
  testing::TestDatabase db;
  pqxx::connection a(db.url());
  pqxx::connection b(db.url());
  std::set<std::uint16_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.insert(eventstore::allocate_node_id(a));
    ids.insert(eventstore::allocate_node_id(b));
  }
  CHECK(ids.size() == 10);
  {
    pqxx::work tx(a);
    tx.exec("SELECT setval('node_ids', 65535 + 65536)");
    tx.commit();
  }
  CHECK(eventstore::allocate_node_id(a) == 0);  // wraps around
}
