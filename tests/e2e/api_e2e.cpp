// The rest of the machine-user lifecycle and the protocol around every call.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <csignal>
#include <thread>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;

TEST_CASE("AddMachineUser and GetUserByID") {
  Service s;
  auto r = s.call(
      "POST", "/management/v1/users/machine",
      json{{"userName", "bot"}, {"name", "Bot"}, {"description", "d"}, {"accessTokenType", 1}});
  REQUIRE(r.status == 200);
  const std::string id = r.body.at("userId");
  CHECK(id.size() >= 17);
  CHECK(id.find_first_not_of("0123456789") == std::string::npos);
  CHECK(r.body["details"]["resourceOwner"] == s.org1());
  CHECK(r.body["details"]["creationDate"] == r.body["details"]["changeDate"]);

  auto got = s.call("GET", "/users/" + id);
  REQUIRE(got.status == 200);
  CHECK(got.body == json{{"user",
                          {{"id", id},
                           {"details", r.body["details"]},
                           {"state", "USER_STATE_ACTIVE"},
                           {"userName", "bot"},
                           {"machine",
                            {{"name", "Bot"},
                             {"description", "d"},
                             {"accessTokenType", "ACCESS_TOKEN_TYPE_JWT"}}}}}});

  SECTION("a user name is unique in its organization, and free in another") {
    auto taken = s.call("POST", "/users/machine", json{{"userName", "BOT"}, {"name", "x"}});
    CHECK(taken.status == 409);
    CHECK(taken.body["code"] == 6);
    CHECK(taken.body["details"][0]["id"] == "V3-DKcYh");
    CHECK(taken.body["message"] == "Errors.User.AlreadyExists (V3-DKcYh)");
    CHECK(s.call("POST", "/users/machine", json{{"userName", "bot"}, {"name", "x"}}, s.org2())
              .status == 200);
  }
  SECTION("a caller-chosen id") {
    auto own = s.call("POST", "/users/machine",
                      json{{"userName", "b2"}, {"name", "x"}, {"userId", "my-id"}});
    REQUIRE(own.status == 200);
    CHECK(own.body["userId"] == "my-id");
    auto dup = s.call("POST", "/users/machine",
                      json{{"userName", "b3"}, {"name", "x"}, {"userId", "my-id"}});
    CHECK(dup.status == 400);  // FailedPrecondition, as ZITADEL answers an id in use
    CHECK(dup.body["code"] == 9);
    CHECK(dup.body["details"][0]["id"] == "COMMAND-k2una");
    CHECK(dup.body["details"][0]["message"] == "Errors.User.AlreadyExisting");
    // userId has presence: "" is not "generate one" but an invalid id.
    const auto events = s.count_events();
    auto empty =
        s.call("POST", "/users/machine", json{{"userName", "b4"}, {"name", "x"}, {"userId", ""}});
    CHECK(empty.status == 400);
    CHECK(empty.body["code"] == 3);
    CHECK(s.count_events() == events);
    auto absent = s.call("POST", "/users/machine", json{{"userName", "b5"}, {"name", "x"}});
    CHECK(absent.status == 200);
    CHECK_FALSE(absent.body["userId"].get<std::string>().empty());
  }
  SECTION("another organization's user is not found") {
    auto other = s.call("GET", "/users/" + id, "", s.org2());
    CHECK(other.status == 404);
    CHECK(other.body["details"][0]["id"] == "QUERY-Dfbg2");
  }
  SECTION("bad input") {
    CHECK(s.call("POST", "/users/machine", json{{"name", "x"}}).status == 400);
    CHECK(s.call("POST", "/users/machine", json{{"userName", std::string(201, 'u')}, {"name", "x"}})
              .status == 400);
  }
}

TEST_CASE("lifecycle: deactivate, reactivate, lock, unlock, remove") {
  Service s;
  const std::string id = s.add_user("bot");
  auto state = [&] { return s.call("GET", "/users/" + id).body["user"]["state"]; };
  auto post = [&](const std::string& action) {
    return s.call("POST", "/users/" + id + "/" + action);
  };

  auto locked = post("_lock");
  REQUIRE(locked.status == 200);
  CHECK(locked.body["details"]["sequence"] == "2");
  CHECK(state() == "USER_STATE_LOCKED");
  auto again = post("_lock");
  CHECK(again.status == 400);
  CHECK(again.body["code"] == 9);
  REQUIRE(post("_unlock").status == 200);
  CHECK(state() == "USER_STATE_ACTIVE");

  REQUIRE(post("_deactivate").status == 200);
  CHECK(state() == "USER_STATE_INACTIVE");
  auto twice = post("_deactivate");
  CHECK(twice.status == 400);
  CHECK(twice.body["details"][0]["id"] == "COMMAND-5M0sf");
  REQUIRE(post("_reactivate").status == 200);
  CHECK(state() == "USER_STATE_ACTIVE");
  CHECK(post("_reactivate").status == 400);

  const auto events = s.count_events(id);
  CHECK(post("_lock").status == 200);
  CHECK(s.count_events(id) == events + 1);

  auto removed = s.call("DELETE", "/management/v1/users/" + id);
  REQUIRE(removed.status == 200);
  CHECK(removed.body["details"]["resourceOwner"] == s.org1());
  CHECK(removed.body["details"]["sequence"] == std::to_string(events + 2));
  CHECK(s.call("GET", "/users/" + id).status == 404);
  CHECK(s.call("DELETE", "/users/" + id).status == 404);
  CHECK(post("_unlock").status == 404);

  // The user name is free again.
  CHECK(s.call("POST", "/users/machine", json{{"userName", "bot"}, {"name", "again"}}).status ==
        200);
}

TEST_CASE("every path answers in the error shape") {
  Service s;
  const auto before = s.count_events();
  auto unknown = s.call("GET", "/management/v1/nothing/here");
  CHECK(unknown.status == 404);
  CHECK(unknown.body["code"] == 5);
  // grpc-gateway: a known path with another method is 405 with code 12 (Unimplemented).
  auto wrong_method = s.call("PATCH", "/users/123/machine");
  CHECK(wrong_method.status == 405);
  CHECK(wrong_method.body["code"] == 12);
  CHECK(s.call_as("", "GET", "/healthz").status == 200);  // health needs no token

  auto big = s.http().request("PUT", "/users/123/machine", std::string(1024 * 1024 + 1, ' '),
                              {{"authorization", "Bearer " + s.admin_token()}});
  CHECK(big.status == 413);
  CHECK(json::parse(big.body)["code"] == 8);
  CHECK(s.count_events() == before);
}

TEST_CASE("SIGTERM stops the server cleanly") {
  Service s;
  s.add_user("bot");
  CHECK(s.server().stop(SIGTERM) == 0);
  CHECK(s.server().output().find("stopped") != std::string::npos);
}

TEST_CASE("the command line: help, bad flags, unreachable database, migrations") {
  using mu::testing::run_binary;
  auto help = run_binary({"serve", "--help"});
  CHECK(help.exit_code == 0);
  CHECK(help.out.find("--database-url") != std::string::npos);
  CHECK(run_binary({"migrate", "--help"}).exit_code == 0);
  CHECK(run_binary({"--help"}).exit_code == 0);

  auto bad = run_binary({"serve", "--bogus"}, {{"DATABASE_URL", "postgresql://x@127.0.0.1:1/x"}});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err == "machine-users: unknown flag --bogus for serve (try serve --help)\n");

  auto unreachable =
      run_binary({"migrate", "--database-url", "postgresql://postgres@127.0.0.1:1/x"});
  CHECK(unreachable.exit_code == 1);
  CHECK(unreachable.err.rfind("machine-users: cannot reach the database:", 0) == 0);
  CHECK(std::count(unreachable.err.begin(), unreachable.err.end(), '\n') == 1);

  mu::testing::TestDatabase db(false);
  auto first = run_binary({"migrate", "--database-url", db.url()});
  CHECK(first.exit_code == 0);
  CHECK(first.out.find("applied migration 0001") != std::string::npos);
  auto second = run_binary({"migrate"}, {{"DATABASE_URL", db.url()}});
  CHECK(second.exit_code == 0);
  CHECK(second.out == "database is up to date\n");

  {
    pqxx::connection conn(db.url());
    pqxx::nontransaction tx(conn);
    tx.exec("UPDATE schema_migrations SET checksum = 'tampered' WHERE version = 1");
  }
  auto changed = run_binary({"serve", "--listen", "127.0.0.1:0", "--database-url", db.url()});
  CHECK(changed.exit_code == 1);
  CHECK(changed.err.find("0001_event_store.sql") != std::string::npos);
}

TEST_CASE("the users projection's checkpoint follows the events") {
  Service s;
  const std::string id = s.add_user("bot");
  REQUIRE(s.call("PUT", "/users/" + id + "/machine", json{{"name", "n2"}}).status == 200);
  pqxx::connection conn(s.database().url());
  long long checkpoint = -1, last = -2;
  // Recorded in the background, out of the commands' transactions: poll for it.
  for (int i = 0; i < 100 && checkpoint != last; ++i) {
    pqxx::nontransaction tx(conn);
    auto r = tx.exec(
        "SELECT (SELECT position FROM current_states WHERE projection = 'users'), "
        "(SELECT max(position) FROM events)");
    checkpoint = r[0][0].as<long long>();
    last = r[0][1].as<long long>();
    if (checkpoint != last) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  CHECK(last > 0);
  CHECK(checkpoint == last);
}

TEST_CASE("a database that went away is Unavailable (503), without SQL in the answer") {
  Service s;
  const std::string id = s.add_user("bot");
  {
    pqxx::connection admin(mu::testing::server_url());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE " + tx.quote_name(s.database().name()) + " WITH (FORCE)");
  }
  auto r = s.call("PUT", "/users/" + id + "/machine", json{{"name", "gone"}});
  INFO(r.body.dump());
  CHECK(r.status == 503);
  CHECK(r.body["code"] == 14);
  CHECK(r.body["message"].get<std::string>().find("SELECT") == std::string::npos);
  CHECK(s.call("GET", "/users/" + id).status == 503);
}

TEST_CASE("an idle connection is closed after the read timeout, and keep-alive holds until then") {
  Service s({"--read-timeout", "1"});
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(s.server().port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  const std::string req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  REQUIRE(::send(fd, req.data(), req.size(), 0) == static_cast<ssize_t>(req.size()));
  char buf[4096];
  REQUIRE(::recv(fd, buf, sizeof buf, 0) > 0);  // answered, and kept open
  const auto start = std::chrono::steady_clock::now();
  timeval limit{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  const auto n = ::recv(fd, buf, sizeof buf, 0);  // nothing more is sent: the server closes
  const auto waited = std::chrono::steady_clock::now() - start;
  ::close(fd);
  CHECK(n == 0);
  CHECK(waited >= std::chrono::milliseconds(800));
  CHECK(waited < std::chrono::seconds(4));
}
