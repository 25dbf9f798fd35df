#include "tests/support/test_database.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "eventstore/migrations.hpp"

namespace mu::testing {
namespace {

// The URI with its database (the path) replaced; user, host, port and query are kept.
std::string with_database(const std::string& uri, const std::string& database) {
  const auto scheme = uri.find("://");
  if (scheme == std::string::npos) {
    FAIL("DATABASE_URL must be a URI like postgresql://postgres@127.0.0.1:5432/postgres, not "
         << uri);
  }
  const auto path = uri.find_first_of("/?", scheme + 3);
  if (path == std::string::npos) return uri + "/" + database;
  const auto query = uri.find('?', path);
  const std::string rest = query == std::string::npos ? std::string() : uri.substr(query);
  return uri.substr(0, path) + "/" + database + rest;
}

std::string unique_name() {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}();
  return "mu_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" +
         std::to_string(salt % 1000000);
}

}  // namespace

std::string server_url() {
  const char* url = std::getenv("DATABASE_URL");
  if (url == nullptr || *url == '\0') {
    FAIL(
        "DATABASE_URL is not set: run the tests with ./test, or point DATABASE_URL at a "
        "PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432/postgres");
  }
  return url;
}

TestDatabase::TestDatabase(bool migrate)
    : admin_url_(server_url()), name_(unique_name()), url_(with_database(admin_url_, name_)) {
  {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    // template0: nobody is ever connected to it, so parallel tests never block creation.
    tx.exec("CREATE DATABASE " + tx.quote_name(name_) + " TEMPLATE template0");
  }
  if (migrate) {
    try {
      pqxx::connection conn(url_);
      eventstore::migrate(conn, eventstore::embedded_migrations());
    } catch (...) {
      drop();  // the destructor does not run when the constructor throws
      throw;
    }
  }
}

TestDatabase::~TestDatabase() {
  drop();
}

void TestDatabase::drop() noexcept {
  try {
    pqxx::connection admin(admin_url_);
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(name_) + " WITH (FORCE)");
  } catch (...) {
    // A database left behind is only litter on a throw-away server.
  }
}

}  // namespace mu::testing
