// Who may do what: every kind of caller against the user calls, through the
// real binary, with the event count unchanged for every refused call.
#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "domain/time.hpp"
#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;

namespace {

struct Caller {
  std::string name;
  std::string token;
  std::string org_header;  // "" sends none
};

std::string in_seconds(int seconds) {
  auto t =
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()) +
      std::chrono::seconds(seconds);
  return mu::domain::to_rfc3339(t);
}

enum Call { kUpdate, kAdd, kGet, kRemove, kAddPat, kChanges };
const char* kCallNames[] = {"UpdateMachine", "AddMachineUser",         "GetUserByID",
                            "RemoveUser",    "AddPersonalAccessToken", "ListUserChanges"};

}  // namespace

TEST_CASE("the permission matrix") {
  Service s;
  const std::string org_a = s.org1(), org_b = s.org2();

  // The expired token first, so that its second passes while the others are made.
  auto expiring = s.add_caller("expiring", org_b, {"ORG_OWNER"}, in_seconds(2));
  const auto expires_at = std::chrono::steady_clock::now() + std::chrono::milliseconds(2100);

  auto revoked = s.add_caller("revoked", org_b, {"ORG_OWNER"});
  REQUIRE(
      s.call("DELETE", "/users/" + revoked.id + "/pats/" + revoked.token_id, "", org_b).status ==
      200);
  auto deactivated = s.add_caller("deactivated", org_b, {"ORG_OWNER"});
  REQUIRE(s.call("POST", "/users/" + deactivated.id + "/_deactivate", "", org_b).status == 200);
  auto locked = s.add_caller("locked", org_b, {"ORG_OWNER"});
  REQUIRE(s.call("POST", "/users/" + locked.id + "/_lock", "", org_b).status == 200);
  auto removed = s.add_caller("removed", org_b, {"ORG_OWNER"});
  REQUIRE(s.call("DELETE", "/users/" + removed.id, "", org_b).status == 200);
  auto no_role = s.add_caller("no-role", org_b, {});
  auto manager_a = s.add_caller("manager-a", org_a, {"ORG_USER_MANAGER"});
  auto owner_b = s.add_caller("owner-b", org_b, {"ORG_OWNER"});
  // The auditor: granted instance-wide like IAM_OWNER.
  auto viewer = s.add_caller("viewer", org_a, {});
  REQUIRE(s.call("POST", "/admin/v1/members",
                 json{{"userId", viewer.id}, {"roles", {"IAM_OWNER_VIEWER"}}}.dump())
              .status == 200);
  std::this_thread::sleep_until(expires_at);

  struct Row {
    Caller caller;
    std::array<int, 6> expected;  // per Call
  };
  const Row rows[] = {
      {{"no token", "", ""}, {401, 401, 401, 401, 401, 401}},
      {{"garbage token", "not-a-token", ""}, {401, 401, 401, 401, 401, 401}},
      {{"expired token", expiring.token, ""}, {401, 401, 401, 401, 401, 401}},
      {{"revoked token", revoked.token, ""}, {401, 401, 401, 401, 401, 401}},
      {{"deactivated caller", deactivated.token, ""}, {401, 401, 401, 401, 401, 401}},
      {{"locked caller", locked.token, ""}, {401, 401, 401, 401, 401, 401}},
      {{"removed caller", removed.token, ""}, {401, 401, 401, 401, 401, 401}},
      {{"caller without role", no_role.token, ""}, {403, 403, 403, 403, 403, 403}},
      // Acting in its own organization A, where the user of B cannot be seen (and has no
      // changes to show: an empty list, as in ZITADEL).
      {{"ORG_USER_MANAGER of A, no header", manager_a.token, ""}, {404, 200, 404, 404, 404, 200}},
      {{"ORG_USER_MANAGER of A, header B", manager_a.token, org_b}, {403, 403, 403, 403, 403, 403}},
      {{"ORG_OWNER of B", owner_b.token, ""}, {200, 200, 200, 200, 200, 200}},
      {{"IAM_OWNER, header B", s.admin_token(), org_b}, {200, 200, 200, 200, 200, 200}},
      // Reads everywhere, writes nowhere.
      {{"IAM_OWNER_VIEWER, header B", viewer.token, org_b}, {403, 403, 200, 403, 403, 200}},
  };

  int n = 0;
  for (const auto& row : rows) {
    for (int call = kUpdate; call <= kChanges; ++call) {
      // A fresh user of B for every cell, so that one cell's removal cannot change another.
      const std::string target = s.add_user("target-" + std::to_string(++n), org_b);
      const auto before = s.count_events();
      const std::string path = "/management/v1/users/" + target;
      mu::testing::Reply r;
      const auto& c = row.caller;
      switch (call) {
        case kUpdate:
          r = s.call_as(c.token, "PUT", path + "/machine", json{{"name", "changed"}}.dump(),
                        c.org_header);
          break;
        case kAdd:
          r = s.call_as(c.token, "POST", "/management/v1/users/machine",
                        json{{"userName", "new-" + std::to_string(n)}, {"name", "x"}}.dump(),
                        c.org_header);
          break;
        case kGet:
          r = s.call_as(c.token, "GET", path, "", c.org_header);
          break;
        case kRemove:
          r = s.call_as(c.token, "DELETE", path, "", c.org_header);
          break;
        case kAddPat:
          r = s.call_as(c.token, "POST", path + "/pats", "{}", c.org_header);
          break;
        case kChanges:
          r = s.call_as(c.token, "POST", path + "/changes/_search", "", c.org_header);
          if (r.status == 200) {
            // Seen from B: the target's one event; from A: nothing.
            CHECK(r.body.value("result", json::array()).size() ==
                  (c.org_header.empty() && c.token == manager_a.token ? 0u : 1u));
          }
          break;
      }
      INFO(c.name << " x " << kCallNames[call] << ": " << r.body.dump());
      CHECK(r.status == row.expected[call]);
      if (r.status == 401) CHECK(r.body["code"] == 16);
      if (r.status == 403) {
        CHECK(r.body["code"] == 7);
        CHECK(r.body["details"][0]["id"] == "AUTH-5mWD2");
        CHECK(r.body["message"] == "No matching permissions found (AUTH-5mWD2)");
      }
      const bool writes = call != kGet && call != kChanges && r.status == 200;
      CHECK(s.count_events() == before + (writes ? 1 : 0));
      // No response but AddPersonalAccessToken's ever carries a token.
      if (call != kAddPat) CHECK_FALSE(r.body.contains("token"));
      if (call == kAdd && r.status == 200) {
        // A call acts in the header's organization, or in the caller's own.
        CHECK(r.body["details"]["resourceOwner"] ==
              (c.org_header.empty() && c.token == manager_a.token ? org_a : org_b));
      }
    }
  }
}

TEST_CASE("every event records its editor") {
  Service s;
  auto owner = s.add_caller("owner", s.org2(), {"ORG_OWNER"});
  const std::string target = s.add_user("target", s.org2());
  REQUIRE(s.call_as(owner.token, "PUT", "/users/" + target + "/machine", R"({"name":"edited"})")
              .status == 200);
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  auto r = tx.exec("SELECT creator FROM events WHERE aggregate_id = " + tx.quote(target) +
                   " ORDER BY sequence");
  REQUIRE(r.size() == 2);
  CHECK(r[0][0].as<std::string>() == s.admin_id());  // added by the IAM_OWNER
  CHECK(r[1][0].as<std::string>() == owner.id);      // changed by the ORG_OWNER
  // Setup's own events are the system's.
  auto setup = tx.exec(
      "SELECT DISTINCT creator FROM events WHERE aggregate_type = 'org' AND aggregate_id = " +
      tx.quote(s.org1()));
  CHECK(setup[0][0].as<std::string>() == "SYSTEM");
}

TEST_CASE("tokens are stored only as hashes and never shown again") {
  Service s;
  auto c = s.add_caller("holder", s.org2(), {"ORG_OWNER"});
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  for (auto q : {"SELECT count(*) FROM events WHERE payload::text LIKE '%' || $1 || '%'",
                 "SELECT count(*) FROM pats_read_model WHERE token_hash = $1 OR token_id = $1"}) {
    CHECK(tx.exec_params(q, c.token)[0][0].as<int>() == 0);
  }
  CHECK(c.token.size() >= 22);  // at least 128 bits in base64url
  CHECK(s.server().output().find(c.token) == std::string::npos);
  auto got = s.call("GET", "/users/" + c.id, "", s.org2());
  CHECK(got.body.dump().find(c.token) == std::string::npos);
}
