// Organizations, memberships, personal access tokens and first-run setup.
#include <sys/stat.h>
#include <catch2/catch.hpp>
#include <thread>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;

TEST_CASE("organizations: AddOrg for IAM owners only, unique names, GetMyOrg") {
  Service s;
  auto org = s.call("POST", "/management/v1/orgs", json{{"name", "ACME"}});
  REQUIRE(org.status == 200);
  const std::string id = org.body["id"];
  CHECK(org.body["details"]["resourceOwner"] == id);
  {  // As in ZITADEL, the caller becomes the new organization's ORG_OWNER, in one append.
    pqxx::connection conn(s.database().url());
    pqxx::nontransaction tx(conn);
    auto events = tx.exec("SELECT event_type, payload::text FROM events WHERE aggregate_id = " +
                          tx.quote(id) + " ORDER BY sequence");
    REQUIRE(events.size() == 2);
    CHECK(events[0][0].as<std::string>() == "org.added");
    CHECK(events[1][0].as<std::string>() == "org.member.added");
    CHECK(json::parse(events[1][1].as<std::string>()) ==
          json{{"userId", s.admin_id()}, {"roles", {"ORG_OWNER"}}});
  }

  auto mine = s.call("GET", "/management/v1/orgs/me", "", id);
  REQUIRE(mine.status == 200);
  CHECK(mine.body["org"]["id"] == id);
  CHECK(mine.body["org"]["name"] == "ACME");
  CHECK(mine.body["org"]["state"] == "ORG_STATE_ACTIVE");
  // Its ETag is its sequence, as for every answer about one object.
  auto raw =
      s.http().request("GET", "/management/v1/orgs/me", "",
                       {{"authorization", "Bearer " + s.admin_token()}, {"x-zitadel-orgid", id}});
  CHECK(raw.header("etag") ==
        "\"" + mine.body["org"]["details"]["sequence"].get<std::string>() + "\"");
  CHECK(s.call("GET", "/orgs/me").body["org"]["id"] ==
        s.org1());  // without the header: the caller's own

  auto taken = s.call("POST", "/orgs", json{{"name", "acme"}});
  CHECK(taken.status == 409);
  CHECK(taken.body["code"] == 6);
  CHECK(s.call("POST", "/orgs", json{{"name", ""}}).status == 400);

  // An ORG_OWNER may not create organizations; nobody may act in one that does not exist.
  const std::string owner = s.add_user("owner", id);
  REQUIRE(s.call("POST", "/orgs/me/members", json{{"userId", owner}, {"roles", {"ORG_OWNER"}}}, id)
              .status == 200);
  const std::string token = s.add_token(owner, id);
  auto refused = s.call_as(token, "POST", "/orgs", json{{"name", "Other"}}.dump());
  CHECK(refused.status == 403);
  CHECK(refused.body["details"][0]["id"] == "AUTH-5mWD2");
  CHECK(s.call_as(token, "GET", "/orgs/me").body["org"]["id"] == id);
  CHECK(s.call("GET", "/orgs/me", "", "123456").status == 404);
}

TEST_CASE("organization members: roles, refusals, and a removal that takes effect at once") {
  Service s;
  const std::string user = s.add_user("member");
  const std::string target = s.add_user("target");
  auto add = [&](const json& body) {
    return s.call("POST", "/management/v1/orgs/me/members", body);
  };

  CHECK(add(json{{"userId", user}, {"roles", {"OWNER"}}}).status == 400);
  CHECK(add(json{{"userId", user}, {"roles", json::array()}}).status == 400);
  CHECK(add(json{{"userId", user}, {"roles", {"IAM_OWNER"}}}).status == 400);  // not an org role
  CHECK(add(json{{"userId", "nobody"}, {"roles", {"ORG_OWNER"}}}).status == 404);
  REQUIRE(add(json{{"userId", user}, {"roles", {"ORG_USER_MANAGER"}}}).status == 200);
  CHECK(add(json{{"userId", user}, {"roles", {"ORG_OWNER"}}}).status == 409);

  const std::string token = s.add_token(user);
  CHECK(s.call_as(token, "PUT", "/users/" + target + "/machine", R"({"name":"managed"})").status ==
        200);
  CHECK(s.call_as(token, "POST", "/orgs/me/members",
                  json{{"userId", target}, {"roles", {"ORG_OWNER"}}}.dump())
            .status == 403);  // a user manager may not grant roles

  // Promoted to ORG_OWNER, it may grant roles; the same roles again are NotChanged.
  REQUIRE(s.call("PUT", "/management/v1/orgs/me/members/" + user, json{{"roles", {"ORG_OWNER"}}})
              .status == 200);
  CHECK(s.call("PUT", "/orgs/me/members/" + user, json{{"roles", {"ORG_OWNER"}}}).status == 400);
  CHECK(s.call("PUT", "/orgs/me/members/nobody", json{{"roles", {"ORG_OWNER"}}}).status == 404);
  CHECK(s.call_as(token, "POST", "/orgs/me/members",
                  json{{"userId", target}, {"roles", {"ORG_USER_MANAGER"}}}.dump())
            .status == 200);
  REQUIRE(s.call("DELETE", "/management/v1/orgs/me/members/" + user).status == 200);
  CHECK(s.call("DELETE", "/orgs/me/members/" + user).status == 404);
  // The cache was told: the next call is refused.
  CHECK(s.call_as(token, "PUT", "/users/" + target + "/machine", R"({"name":"again"})").status ==
        403);
}

TEST_CASE("instance members: IAM_OWNER granted and taken away through the admin API") {
  Service s;
  const std::string user = s.add_user("second-admin", s.org2());
  const std::string token = s.add_token(user, s.org2());
  CHECK(s.call_as(token, "POST", "/orgs", json{{"name", "X"}}.dump()).status == 403);
  REQUIRE(s.call("POST", "/admin/v1/members", json{{"userId", user}, {"roles", {"IAM_OWNER"}}})
              .status == 200);
  CHECK(s.call_as(token, "POST", "/orgs", json{{"name", "X"}}.dump()).status == 200);
  CHECK(s.call_as(token, "GET", "/users/" + s.admin_id(), "", s.org1()).status == 200);
  REQUIRE(s.call("DELETE", "/admin/v1/members/" + user).status == 200);
  CHECK(s.call_as(token, "POST", "/orgs", json{{"name", "Y"}}.dump()).status == 403);
}

TEST_CASE("personal access tokens: expiry, removal, refusals") {
  Service s;
  const std::string user = s.add_user("bot");
  auto added = s.call("POST", "/management/v1/users/" + user + "/pats",
                      json{{"expirationDate", "2999-01-01T00:00:00Z"}});
  REQUIRE(added.status == 200);
  CHECK(added.body["token"].get<std::string>().size() == 43);
  CHECK(added.body["details"]["sequence"] == "2");
  CHECK(added.body["details"]["resourceOwner"] == s.org1());

  CHECK(s.call("POST", "/users/" + user + "/pats", json{{"expirationDate", "2001-01-01T00:00:00Z"}})
            .status == 400);
  CHECK(s.call("POST", "/users/" + user + "/pats", json{{"expirationDate", "tomorrow"}}).status ==
        400);
  CHECK(s.call("POST", "/users/" + user + "/pats", "{}", s.org2()).status ==
        404);  // another org's user
  CHECK(s.call("DELETE", "/users/" + user + "/pats/123").status == 404);
  const std::string token_id = added.body["tokenId"];
  REQUIRE(s.call("DELETE", "/users/" + user + "/pats/" + token_id).status == 200);
  CHECK(s.call("DELETE", "/users/" + user + "/pats/" + token_id).status == 404);
}

TEST_CASE("concurrent creations of one user name: exactly one wins") {
  Service s;
  constexpr int kWriters = 16;
  std::vector<int> statuses(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      mu::testing::HttpClient client("127.0.0.1", s.server().port());
      statuses[i] = client
                        .request("POST", "/users/machine", R"({"userName":"same","name":"x"})",
                                 {{"authorization", "Bearer " + s.admin_token()}})
                        .status;
    });
  }
  for (auto& t : threads) t.join();
  CHECK(std::count(statuses.begin(), statuses.end(), 200) == 1);
  CHECK(std::count(statuses.begin(), statuses.end(), 409) == kWriters - 1);
}

TEST_CASE("setup is idempotent and writes a token only its owner can read") {
  mu::testing::TestDatabase db;
  const std::string file = "/tmp/mu-setup-test-" + std::to_string(::getpid());
  std::vector<std::string> args = {"setup",        "--org-name",     "First",
                                   "--admin-user", "root-bot",       "--token-file",
                                   file,           "--database-url", db.url()};
  auto first = mu::testing::run_binary(args);
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.find("(created)") != std::string::npos);
  struct stat st {};
  REQUIRE(::stat(file.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto second = mu::testing::run_binary(args);
  REQUIRE(second.exit_code == 0);
  CHECK(second.out.find("(created)") == std::string::npos);
  CHECK(mu::testing::FirstRun::field(first.out, "IAM_OWNER machine user root-bot: ") ==
        mu::testing::FirstRun::field(second.out, "IAM_OWNER machine user root-bot: "));
  std::remove(file.c_str());

  // Only a regular file takes the token: a device is refused, and left as it was.
  struct stat null_before {};
  REQUIRE(::stat("/dev/null", &null_before) == 0);
  auto device = mu::testing::run_binary({"setup", "--org-name", "First", "--admin-user", "root-bot",
                                         "--token-file", "/dev/null", "--database-url", db.url()});
  CHECK(device.exit_code == 1);
  CHECK(device.err.find("not a regular file") != std::string::npos);
  struct stat null_after {};
  REQUIRE(::stat("/dev/null", &null_after) == 0);
  CHECK(null_after.st_mode == null_before.st_mode);

  auto missing = mu::testing::run_binary({"setup", "--org-name", "x", "--database-url", db.url()});
  CHECK(missing.exit_code == 2);
  CHECK(missing.err == "machine-users: setup needs --admin-user\n");
}
