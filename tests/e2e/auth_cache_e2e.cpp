// The token check is cached, and every instance forgets a revoked token or a
// deactivated caller within a second (LISTEN/NOTIFY).
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;
using Clock = std::chrono::steady_clock;

namespace {

struct Token {
  std::string user_id, token, token_id;
};

Token owner_of_org2(Service& s, const std::string& name) {
  Token t;
  t.user_id = s.add_user(name, s.org2());
  REQUIRE(s.call("POST", "/orgs/me/members", json{{"userId", t.user_id}, {"roles", {"ORG_OWNER"}}},
                 s.org2())
              .status == 200);
  auto pat = s.call("POST", "/users/" + t.user_id + "/pats", "{}", s.org2());
  REQUIRE(pat.status == 200);
  t.token = pat.body["token"];
  t.token_id = pat.body["tokenId"];
  return t;
}

int get_org(mu::testing::HttpClient& client, const std::string& token) {
  return client.request("GET", "/orgs/me", "", {{"authorization", "Bearer " + token}}).status;
}

// How long until the other instance refuses the token; fails after 5 s.
std::chrono::milliseconds time_until_refused(mu::testing::HttpClient& other,
                                             const std::string& token, Clock::time_point since) {
  while (Clock::now() - since < std::chrono::seconds(5)) {
    if (get_org(other, token) == 401) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::chrono::seconds(5);
}

}  // namespace

TEST_CASE("a revocation and a deactivation reach every instance within a second") {
  Service s;
  mu::testing::ServerProcess second(s.database().url());
  mu::testing::HttpClient other("127.0.0.1", second.port());

  auto revoked = owner_of_org2(s, "revoked");
  auto deactivated = owner_of_org2(s, "deactivated");
  // Both instances know (and cache) both tokens.
  for (auto* t : {&revoked, &deactivated}) {
    REQUIRE(get_org(other, t->token) == 200);
    REQUIRE(s.call_as(t->token, "GET", "/orgs/me").status == 200);
  }

  auto t0 = Clock::now();
  REQUIRE(s.call("DELETE", "/users/" + revoked.user_id + "/pats/" + revoked.token_id, "", s.org2())
              .status == 200);
  auto revocation = time_until_refused(other, revoked.token, t0);
  CHECK(revocation < std::chrono::seconds(1));
  CHECK(s.call_as(revoked.token, "GET", "/orgs/me").status == 401);

  t0 = Clock::now();
  REQUIRE(s.call("POST", "/users/" + deactivated.user_id + "/_deactivate", "", s.org2()).status ==
          200);
  auto deactivation = time_until_refused(other, deactivated.token, t0);
  CHECK(deactivation < std::chrono::seconds(1));
  WARN("revocation seen by the other instance after "
       << revocation.count() << " ms, deactivation after " << deactivation.count() << " ms");
}

TEST_CASE("a cached token check needs no database read of the tokens") {
  Service s;
  auto caller = owner_of_org2(s, "cached");
  // The set-up's writes announce themselves (NOTIFY), and each announcement empties the cache
  // when the listener gets it: let them arrive before the token is cached, or a late one would
  // send the checked call to the locked table below.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  REQUIRE(s.call_as(caller.token, "GET", "/orgs/me").status == 200);  // now cached

  // Hold a lock that any read of the tokens' read model would wait for.
  pqxx::connection conn(s.database().url());
  pqxx::work lock(conn);
  lock.exec("LOCK TABLE pats_read_model IN ACCESS EXCLUSIVE MODE");
  auto answer = std::async(std::launch::async, [&] {
    mu::testing::HttpClient client("127.0.0.1", s.server().port());
    return get_org(client, caller.token);
  });
  const bool answered = answer.wait_for(std::chrono::seconds(3)) == std::future_status::ready;
  lock.abort();  // release it either way
  CHECK(answered);
  CHECK(answer.get() == 200);
}
