// The replay tool and async projections through the real binary.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <map>
#include <thread>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::run_binary;
using mu::testing::ServerProcess;
using mu::testing::Service;
using nlohmann::json;

namespace {

mu::testing::ProcessResult projections(const std::string& url, std::vector<std::string> args) {
  args.insert(args.begin(), "projections");
  args.push_back("--database-url");
  args.push_back(url);
  return run_binary(args);
}

// GET the user from `port` until its name is `name` or `seconds` pass.
bool eventually_named(const std::string& token, unsigned short port, const std::string& id,
                      const std::string& name, int seconds = 5) {
  mu::testing::HttpClient http("127.0.0.1", port);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = http.request("GET", "/management/v1/users/" + id, "",
                          {{"authorization", "Bearer " + token}});
    if (r.status == 200 && json::parse(r.body)["user"]["machine"]["name"] == name) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace

TEST_CASE("projections list, replay under a write load, and verify") {
  Service s;
  std::vector<std::string> ids;
  for (int i = 0; i < 20; ++i) ids.push_back(s.add_user("replay" + std::to_string(i)));

  auto listed = projections(s.database().url(), {"list", "--json"});
  REQUIRE(listed.exit_code == 0);
  auto rows = json::parse(listed.out);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0]["name"] == "users");
  CHECK(rows[0]["mode"] == "inline");
  CHECK(rows[0]["failed_events"] == 0);
  auto table = projections(s.database().url(), {"list"});
  CHECK(table.out.find("NAME") == 0);

  // Writes and reads go on while users is rebuilt and swapped in.
  std::atomic<bool> loading{true};
  std::atomic<int> ok{0}, failed{0}, went_back{0};
  std::map<std::string, std::uint64_t> last_seen;
  std::thread load([&] {
    mu::testing::HttpClient http("127.0.0.1", s.server().port());
    for (int i = 0; loading; ++i) {
      const auto& id = ids[static_cast<std::size_t>(i) % ids.size()];
      auto put = http.request("PUT", "/management/v1/users/" + id + "/machine",
                              json{{"name", "load " + std::to_string(i)}}.dump(),
                              {{"authorization", "Bearer " + s.admin_token()}});
      auto get = http.request("GET", "/management/v1/users/" + id, "",
                              {{"authorization", "Bearer " + s.admin_token()}});
      (put.status == 200 && get.status == 200 ? ok : failed)++;
      // A read never goes back: not behind the write just acknowledged, nor behind
      // an earlier read, across the swap.
      if (put.status == 200 && get.status == 200) {
        const auto written =
            std::stoull(json::parse(put.body)["details"]["sequence"].get<std::string>());
        const auto read =
            std::stoull(json::parse(get.body)["user"]["details"]["sequence"].get<std::string>());
        auto& seen = last_seen[id];
        if (read < written || read < seen) ++went_back;
        seen = read;
      }
    }
  });
  // Calls before, during and after the replays.
  auto calls_reach = [&](int n) {
    for (int waited = 0; ok + failed < n && waited < 1000; ++waited) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  calls_reach(5);
  auto replayed = projections(s.database().url(), {"replay", "users"});
  auto all = projections(s.database().url(), {"replay", "--all"});
  calls_reach(ok + failed + 5);
  loading = false;
  load.join();
  INFO(replayed.err << all.err);
  CHECK(replayed.exit_code == 0);
  CHECK(replayed.out.find("replayed users") != std::string::npos);
  CHECK(all.exit_code == 0);
  CHECK(ok >= 10);
  CHECK(failed == 0);
  CHECK(went_back == 0);

  auto verified = projections(s.database().url(), {"verify", "--all"});
  INFO(verified.out << verified.err);
  CHECK(verified.exit_code == 0);

  // A row corrupted by hand is named, column and all.
  {
    pqxx::connection conn(s.database().url());
    pqxx::work tx(conn);
    tx.exec("UPDATE users_read_model SET name = 'corrupted' WHERE id = " + tx.quote(ids[3]));
    tx.commit();
  }
  auto caught = projections(s.database().url(), {"verify", "users"});
  CHECK(caught.exit_code == 1);
  CHECK(caught.out.find(ids[3] + "\tname\tlive=\"corrupted\"") != std::string::npos);
  // And replay mends it.
  CHECK(projections(s.database().url(), {"replay", "users"}).exit_code == 0);
  CHECK(projections(s.database().url(), {"verify", "users"}).exit_code == 0);
}

TEST_CASE("projections: bad input is one line and a non-zero exit, and changes nothing") {
  Service s;
  const auto id = s.add_user("untouched");
  auto unknown = projections(s.database().url(), {"replay", "nope"});
  CHECK(unknown.exit_code == 2);
  CHECK(unknown.err.find("unknown projection \"nope\"") != std::string::npos);
  CHECK(std::count(unknown.err.begin(), unknown.err.end(), '\n') == 1);
  CHECK(projections(s.database().url(), {"frobnicate"}).exit_code == 2);
  CHECK(projections("postgresql://postgres@127.0.0.1:1/none", {"list"}).exit_code == 1);
  {
    mu::testing::TestDatabase empty(false);  // not migrated
    auto r = projections(empty.url(), {"list"});
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("not migrated") != std::string::npos);
  }
  // A second replay while one runs (its lock held here) is refused at once.
  pqxx::connection holder(s.database().url());
  pqxx::nontransaction tx(holder);
  tx.exec("SELECT pg_advisory_lock(hashtext('mu_replay:users'))");
  auto second = projections(s.database().url(), {"replay", "users"});
  CHECK(second.exit_code == 1);
  CHECK(second.err.find("already running") != std::string::npos);
  CHECK(s.call("GET", "/management/v1/users/" + id).status == 200);
}

TEST_CASE("users async: reads catch up, and another process takes over a killed runner") {
  Service s({"--async-projections", "users"});
  const auto id = s.add_user("async");
  CHECK(eventually_named(s.admin_token(), s.server().port(), id, "Name of async"));
  // Three processes on one database; one of them reduces users at a time.
  ServerProcess b(s.database().url(), {"--async-projections", "users"});
  ServerProcess c(s.database().url(), {"--async-projections", "users"});
  auto put = [&](const std::string& name) {
    return s.http().request("PUT", "/management/v1/users/" + id + "/machine",
                            json{{"name", name}}.dump(),
                            {{"authorization", "Bearer " + s.admin_token()}});
  };
  REQUIRE(put("one").status == 200);
  CHECK(eventually_named(s.admin_token(), c.port(), id, "one"));
  s.server().stop(SIGKILL);
  mu::testing::HttpClient via_b("127.0.0.1", b.port());
  REQUIRE(via_b
              .request("PUT", "/management/v1/users/" + id + "/machine",
                       json{{"name", "two"}}.dump(),
                       {{"authorization", "Bearer " + s.admin_token()}})
              .status == 200);
  CHECK(eventually_named(s.admin_token(), c.port(), id, "two"));
  b.stop(SIGKILL);  // now c must be the runner, whoever was before
  mu::testing::HttpClient via_c("127.0.0.1", c.port());
  REQUIRE(via_c
              .request("PUT", "/management/v1/users/" + id + "/machine",
                       json{{"name", "three"}}.dump(),
                       {{"authorization", "Bearer " + s.admin_token()}})
              .status == 200);
  CHECK(eventually_named(s.admin_token(), c.port(), id, "three"));

  auto listed = projections(s.database().url(), {"list", "--json", "--async-projections", "users"});
  REQUIRE(listed.exit_code == 0);
  auto rows = json::parse(listed.out);
  CHECK(rows[0]["mode"] == "async");
  CHECK(rows[0]["events_behind"] == 0);
  CHECK(projections(s.database().url(), {"verify", "users"}).exit_code == 0);
}

TEST_CASE("an event the async reducer fails on is retried, then skipped, and listed") {
  Service s({"--async-projections", "users"});
  const auto id = s.add_user("poisoned");
  REQUIRE(eventually_named(s.admin_token(), s.server().port(), id, "Name of poisoned"));
  {
    // Written past the service (as a superuser could): an access token type no
    // smallint holds, which the read model's write refuses.
    pqxx::connection conn(s.database().url());
    pqxx::work tx(conn);
    tx.exec(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, payload, "
        "owner) VALUES ('user', " +
        tx.quote(id) + ", 99, 'user.machine.changed', '{\"accessTokenType\": 100000}', " +
        tx.quote(s.org1()) + ")");
    tx.commit();
  }
  // The projection goes on past it: a later user shows up.
  const auto later = s.add_user("after-poison");
  CHECK(eventually_named(s.admin_token(), s.server().port(), later, "Name of after-poison", 15));
  auto listed = projections(s.database().url(), {"list", "--json", "--async-projections", "users"});
  REQUIRE(listed.exit_code == 0);
  CHECK(json::parse(listed.out)[0]["failed_events"] == 1);
  pqxx::connection conn(s.database().url());
  pqxx::read_transaction tx(conn);
  auto failure = tx.exec1("SELECT attempts, skipped, error FROM projection_failures");
  CHECK(failure[0].as<int>() == 5);
  CHECK(failure[1].as<bool>());
  CHECK(std::string(failure[2].c_str()).find("smallint") != std::string::npos);
}
