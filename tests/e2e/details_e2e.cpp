// Every write's details come from its own append: sequence and changeDate of its
// last event, creationDate of the object's first event (contract: **ours**), the
// same whichever call wrote, and with no read model read after COMMIT.
#include <catch2/catch.hpp>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;

TEST_CASE("every write reports the object's creation date: its first event's time") {
  Service s;
  auto added = s.call("POST", "/management/v1/users/machine",
                      json{{"userName", "dated"}, {"name", "Dated"}});
  REQUIRE(added.status == 200);
  const std::string id = added.body["userId"];
  const auto created = added.body["details"]["creationDate"];
  CHECK(created == added.body["details"]["changeDate"]);

  std::uint64_t last_sequence = 1;
  auto check = [&](const mu::testing::Reply& r, const std::string& what) {
    INFO(what << ": " << r.body.dump());
    REQUIRE(r.status == 200);
    const auto& d = r.body["details"];
    CHECK(d["creationDate"] == created);
    CHECK(d["changeDate"] != created);
    CHECK(d["resourceOwner"] == s.org1());
    const auto seq = std::stoull(d["sequence"].get<std::string>());
    CHECK(seq == last_sequence + 1);
    last_sequence = seq;
  };
  check(s.call("POST", "/management/v1/users/" + id + "/_lock"), "LockUser");
  auto pat = s.call("POST", "/management/v1/users/" + id + "/pats", json::object());
  check(pat, "AddPersonalAccessToken");
  check(s.call("DELETE",
               "/management/v1/users/" + id + "/pats/" + pat.body["tokenId"].get<std::string>()),
        "RemovePersonalAccessToken");
  check(s.call("DELETE", "/management/v1/users/" + id), "RemoveUser");

  // On the organization's stream: its creation date, as GetMyOrg reports it.
  const auto member = s.add_user("member");
  const auto org = s.call("GET", "/management/v1/orgs/me");
  REQUIRE(org.status == 200);
  auto grant = s.call("POST", "/management/v1/orgs/me/members",
                      json{{"userId", member}, {"roles", {"ORG_USER_MANAGER"}}});
  REQUIRE(grant.status == 200);
  CHECK(grant.body["details"]["creationDate"] == org.body["org"]["details"]["creationDate"]);
  CHECK(grant.body["details"]["creationDate"] != grant.body["details"]["changeDate"]);

  // The instance's one stream: created by the first run, the same for every grant.
  auto iam1 =
      s.call("POST", "/admin/v1/members", json{{"userId", member}, {"roles", {"IAM_OWNER"}}});
  auto iam2 = s.call("DELETE", "/admin/v1/members/" + member);
  REQUIRE(iam1.status == 200);
  REQUIRE(iam2.status == 200);
  CHECK(iam2.body["details"]["creationDate"] == iam1.body["details"]["creationDate"]);
  CHECK(iam1.body["details"]["creationDate"] != iam1.body["details"]["changeDate"]);
}
