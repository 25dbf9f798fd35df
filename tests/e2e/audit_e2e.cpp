// Audit: every event records where it came from.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;

namespace {

struct Origin {
  std::string creator, rpc, transport, request_id;
};

std::vector<Origin> origins(Service& s, const std::string& aggregate_id) {
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  std::vector<Origin> out;
  for (const auto& r : tx.exec_params(
           "SELECT creator, rpc, transport, request_id FROM events WHERE aggregate_id = $1 "
           "ORDER BY sequence",
           aggregate_id)) {
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>()});
  }
  return out;
}

const std::string kMgmt = "zitadel.management.v1.ManagementService/";

}  // namespace

TEST_CASE("every event records its RPC, transport and request id, and never a token") {
  Service s;
  auto auth = std::map<std::string, std::string>{{"authorization", "Bearer " + s.admin_token()},
                                                 {"x-zitadel-orgid", s.org2()}};

  // A request id the caller chose is recorded as sent and echoed.
  auto headers = auth;
  headers["x-request-id"] = "audit-req/42 with spaces";
  auto added = s.http().request("POST", "/management/v1/users/machine",
                                R"({"userName":"audited","name":"A"})", headers);
  REQUIRE(added.status == 200);
  CHECK(added.header("x-request-id") == "audit-req/42 with spaces");
  const auto id = nlohmann::json::parse(added.body).at("userId").get<std::string>();

  // Without one, the generated id that the response carries is the one recorded.
  auto changed =
      s.http().request("PUT", "/management/v1/users/" + id + "/machine", R"({"name":"B"})", auth);
  REQUIRE(changed.status == 200);
  const auto generated = changed.header("x-request-id");
  REQUIRE(generated.size() == 16);

  const auto events = origins(s, id);
  REQUIRE(events.size() == 2);
  CHECK(events[0].creator == s.admin_id());
  CHECK(events[0].rpc == kMgmt + "AddMachineUser");
  CHECK(events[0].transport == "rest");
  CHECK(events[0].request_id == "audit-req/42 with spaces");
  CHECK(events[1].rpc == kMgmt + "UpdateMachine");
  CHECK(events[1].transport == "rest");
  CHECK(events[1].request_id == generated);

  // Lifecycle and token calls too; the token itself is recorded nowhere in events.
  headers["x-request-id"] = "lock-1";
  REQUIRE(s.http().request("POST", "/management/v1/users/" + id + "/_lock", "{}", headers).status ==
          200);
  headers["x-request-id"] = "pat-1";
  auto pat = s.http().request("POST", "/management/v1/users/" + id + "/pats", "{}", headers);
  REQUIRE(pat.status == 200);
  const auto token = nlohmann::json::parse(pat.body).at("token").get<std::string>();
  const auto after = origins(s, id);
  REQUIRE(after.size() == 4);
  CHECK(after[2].rpc == kMgmt + "LockUser");
  CHECK(after[2].request_id == "lock-1");
  CHECK(after[3].rpc == kMgmt + "AddPersonalAccessToken");
  CHECK(after[3].request_id == "pat-1");
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec_params1("SELECT count(*) FROM events WHERE rpc LIKE '%' || $1 || '%' OR "
                        "request_id LIKE '%' || $1 || '%' OR transport LIKE '%' || $1 || '%'",
                        token)[0]
            .as<int>() == 0);

  // Setup's events are the command line's.
  const auto setup = tx.exec_params1(
      "SELECT rpc, transport, length(request_id) FROM events WHERE aggregate_id = $1 AND "
      "sequence = 1",
      s.org1());
  CHECK(setup[0].as<std::string>() == "machine-users setup");
  CHECK(setup[1].as<std::string>() == "cli");
  CHECK(setup[2].as<int>() == 16);
}

TEST_CASE("a bad X-Request-Id is refused with 400 and writes nothing") {
  Service s;
  const auto before = s.count_events();
  for (const std::string& bad :
       {std::string(129, 'a'), std::string("tab\there"), std::string("caf\xc3\xa9")}) {
    auto r = s.http().request(
        "POST", "/management/v1/users/machine", R"({"userName":"never","name":"N"})",
        {{"authorization", "Bearer " + s.admin_token()}, {"x-request-id", bad}});
    CHECK(r.status == 400);
    CHECK(nlohmann::json::parse(r.body).at("code") == 3);
  }
  CHECK(s.count_events() == before);
}

namespace {

// The sequences of a ListUserChanges answer, in its order.
std::vector<std::string> sequences(const nlohmann::json& body) {
  std::vector<std::string> out;
  if (body.contains("result")) {
    for (const auto& c : body["result"]) out.push_back(c.at("sequence").get<std::string>());
  }
  return out;
}

using Seqs = std::vector<std::string>;

}  // namespace

TEST_CASE("ListUserChanges: newest first, cursors both ways, limits, editors") {
  Service s;
  const auto id = s.add_user("history", s.org2());
  for (int i = 1; i <= 4; ++i) {
    REQUIRE(s.call("PUT", "/users/" + id + "/machine",
                   nlohmann::json{{"name", "n" + std::to_string(i)}}, s.org2())
                .status == 200);
  }
  auto owner = s.add_caller("owner", s.org2(), {"ORG_OWNER"});
  REQUIRE(s.call_as(owner.token, "POST", "/users/" + id + "/_lock", "{}").status == 200);
  const std::string path = "/management/v1/users/" + id + "/changes/_search";

  // No body, an empty body and an empty query alike: everything, newest first.
  for (const std::string& body :
       {std::string(), std::string("{}"), std::string(R"({"query":{}})")}) {
    auto all = s.call("POST", path, body, s.org2());
    REQUIRE(all.status == 200);
    CHECK(sequences(all.body) == Seqs{"6", "5", "4", "3", "2", "1"});
  }
  auto all = s.call("POST", path, "", s.org2());
  const auto& newest = all.body["result"][0];
  CHECK(newest["eventType"]["key"] == "EventTypes.user.locked");
  CHECK(newest["eventType"]["localizedMessage"] == "User locked");
  CHECK(newest["editorId"] == owner.id);
  CHECK(newest["editorPreferredLoginName"] == "owner");
  CHECK(newest["editorDisplayName"] == "Name of owner");  // the name add_user gives
  CHECK(newest["resourceOwnerId"] == s.org2());
  CHECK(newest["changeDate"].get<std::string>().size() >= 20);
  const auto& first = all.body["result"][5];
  CHECK(first["eventType"]["key"] == "EventTypes.user.machine.added");
  CHECK(first["eventType"]["localizedMessage"] == "Technical user added");
  CHECK(first["editorId"] == s.admin_id());
  CHECK(first["editorPreferredLoginName"] == "admin");
  // The dates agree with the order.
  CHECK(first["changeDate"].get<std::string>() <= newest["changeDate"].get<std::string>());

  // `sequence` is an exclusive cursor in the direction asked; numbers or strings.
  CHECK(
      sequences(s.call("POST", path, R"({"query":{"sequence":"2","limit":2,"asc":true}})", s.org2())
                    .body) == Seqs{"3", "4"});
  CHECK(sequences(s.call("POST", path, R"({"query":{"sequence":3}})", s.org2()).body) ==
        Seqs{"2", "1"});
  CHECK(sequences(s.call("POST", path, R"({"query":{"asc":true,"limit":0}})", s.org2()).body) ==
        Seqs{"1", "2", "3", "4", "5", "6"});
  CHECK(sequences(s.call("POST", path, R"({"query":{"limit":5000}})", s.org2()).body).size() == 6);
  // Past either end: an empty list, which protojson writes as {}.
  auto none = s.call("POST", path, R"({"query":{"sequence":"6","asc":true}})", s.org2());
  CHECK(none.status == 200);
  CHECK(none.body == nlohmann::json::object());
}

TEST_CASE("ListUserChanges: another organization's user, unknown users, bad input, permission") {
  Service s;
  const auto id = s.add_user("elsewhere", s.org2());
  const std::string path = "/management/v1/users/" + id + "/changes/_search";

  // An editor that is no machine user (setup's SYSTEM) is named by its id alone.
  auto by_system =
      s.call("POST", "/management/v1/users/" + s.admin_id() + "/changes/_search", "", s.org1());
  REQUIRE(by_system.status == 200);
  const auto& added_by_system = by_system.body.at("result").back();
  CHECK(added_by_system["editorId"] == "SYSTEM");
  CHECK_FALSE(added_by_system.contains("editorDisplayName"));
  CHECK_FALSE(added_by_system.contains("editorPreferredLoginName"));

  // Acting in organization 1, organization 2's user has no changes to show (as in ZITADEL).
  auto other = s.call("POST", path, "", s.org1());
  CHECK(other.status == 200);
  CHECK(other.body == nlohmann::json::object());
  auto unknown = s.call("POST", "/management/v1/users/404404/changes/_search", "", s.org2());
  CHECK(unknown.status == 200);
  CHECK(unknown.body == nlohmann::json::object());

  for (const std::string& bad :
       {std::string(R"({"query":{"limit":-1}})"), std::string(R"({"query":{"limit":4294967296}})"),
        std::string(R"({"query":{"limit":1.5}})"), std::string(R"({"query":{"sequence":"x1"}})"),
        std::string(R"({"query":{"asc":"yes"}})"), std::string(R"({"query":"all"})"),
        std::string(R"({"query":{"asc":true},"query":{}})")}) {
    auto r = s.call("POST", path, bad, s.org2());
    CHECK(r.status == 400);
    CHECK(r.body["code"] == 3);
  }
  auto long_id = s.call(
      "POST", "/management/v1/users/" + std::string(201, '1') + "/changes/_search", "", s.org2());
  CHECK(long_id.status == 400);

  // user.read is needed: a member without a role is refused, a user manager may read.
  auto no_role = s.add_caller("no-role", s.org2(), {});
  CHECK(s.call_as(no_role.token, "POST", path, "").status == 403);
  auto manager = s.add_caller("manager", s.org2(), {"ORG_USER_MANAGER"});
  auto read = s.call_as(manager.token, "POST", path, "");
  CHECK(read.status == 200);
  CHECK(sequences(read.body) == Seqs{"1"});

  // A removed user's history stays readable.
  REQUIRE(s.call("DELETE", "/users/" + id, "", s.org2()).status == 200);
  auto after = s.call("POST", path, "", s.org2());
  CHECK(sequences(after.body) == Seqs{"2", "1"});
  CHECK(after.body["result"][0]["eventType"]["key"] == "EventTypes.user.removed");
}

TEST_CASE("GetUserByID asOf: the user as of a sequence or a time, from its events") {
  Service s;
  const auto id = s.add_user("timeline", s.org2());
  REQUIRE(s.call("PUT", "/users/" + id + "/machine", R"({"name":"second","description":"d2"})",
                 s.org2())
              .status == 200);
  auto now = s.call("GET", "/users/" + id, "", s.org2());
  REQUIRE(now.status == 200);
  const std::string second_at = now.body["user"]["details"]["changeDate"];
  REQUIRE(s.call("POST", "/users/" + id + "/_lock", "{}", s.org2()).status == 200);
  REQUIRE(s.call("DELETE", "/users/" + id, "", s.org2()).status == 200);
  const std::string path = "/management/v1/users/" + id;

  // As of sequence 1: the user as added, with its dates.
  auto first = s.call("GET", path + "?asOf=1", "", s.org2());
  REQUIRE(first.status == 200);
  CHECK(first.body["user"]["machine"]["name"] == "Name of timeline");
  CHECK(first.body["user"]["state"] == "USER_STATE_ACTIVE");
  CHECK(first.body["user"]["details"]["sequence"] == "1");
  CHECK(first.body["user"]["details"]["creationDate"] ==
        first.body["user"]["details"]["changeDate"]);
  CHECK(first.body["user"]["details"]["resourceOwner"] == s.org2());

  // As of the change's time: the second state; a time percent-encoded or in UTC.
  auto by_time = s.call("GET", path + "?asOf=" + second_at, "", s.org2());
  REQUIRE(by_time.status == 200);
  CHECK(by_time.body["user"]["machine"]["name"] == "second");
  CHECK(by_time.body["user"]["machine"]["description"] == "d2");
  CHECK(by_time.body["user"]["details"]["sequence"] == "2");
  CHECK(by_time.body["user"]["details"]["changeDate"] == second_at);
  CHECK(by_time.body["user"]["details"]["creationDate"] ==
        first.body["user"]["details"]["creationDate"]);

  CHECK(s.call("GET", path + "?asOf=3", "", s.org2()).body["user"]["state"] == "USER_STATE_LOCKED");
  // Removed: GetUserByID says NotFound, its history still reads, as DELETED.
  CHECK(s.call("GET", path, "", s.org2()).status == 404);
  auto removed = s.call("GET", path + "?asOf=4", "", s.org2());
  REQUIRE(removed.status == 200);
  CHECK(removed.body["user"]["state"] == "USER_STATE_DELETED");
  CHECK(removed.body["user"]["machine"]["name"] == "second");

  // Before it existed, in another organization, or for an unknown id: NotFound.
  CHECK(s.call("GET", path + "?asOf=2000-01-01T00:00:00Z", "", s.org2()).status == 404);
  CHECK(s.call("GET", path + "?asOf=2", "", s.org1()).status == 404);
  CHECK(s.call("GET", "/users/404404?asOf=1", "", s.org2()).status == 404);
  // Malformed: 400, code 3.
  for (const char* bad : {"?asOf=", "?asOf=0", "?asOf=yesterday", "?asOf=%zz", "?asOf=1&asOf=2"}) {
    auto r = s.call("GET", path + bad, "", s.org2());
    CHECK(r.status == 400);
    CHECK(r.body["code"] == 3);
  }
  // The auditor's role reads it too.
  auto viewer = s.add_caller("auditor", s.org1(), {});
  REQUIRE(s.call("POST", "/admin/v1/members",
                 nlohmann::json{{"userId", viewer.id}, {"roles", {"IAM_OWNER_VIEWER"}}})
              .status == 200);
  CHECK(s.call_as(viewer.token, "GET", path + "?asOf=2", "", s.org2()).status == 200);
}

TEST_CASE("ListEventTypes and ListAggregateTypes list what the service writes (events.read)") {
  Service s;
  auto types = s.call("POST", "/admin/v1/events/types/_search", "{}");
  REQUIRE(types.status == 200);
  std::map<std::string, std::string> texts;
  for (const auto& t : types.body.at("eventTypes")) {
    CHECK(t["localized"]["key"] == "EventTypes." + t["type"].get<std::string>());
    texts[t["type"]] = t["localized"]["localizedMessage"];
  }
  CHECK(texts.size() == 22);
  CHECK(texts["user.token.v2.added"] == "Access Token added");
  CHECK(texts["user.machine.changed"] == "Technical user changed");
  CHECK(texts["org.member.added"] == "Organization member added");
  CHECK(texts["user.machine.secret.set"] == "Secret set");
  CHECK(texts["user.machine.key.removed"] == "Key removed");
  // Every type the store holds after setup and a few calls is among them.
  const auto id = s.add_user("typed", s.org2());
  REQUIRE(s.call("POST", "/users/" + id + "/_lock", "", s.org2()).status == 200);
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  for (const auto& row : tx.exec("SELECT DISTINCT event_type FROM events")) {
    CHECK(texts.count(row[0].as<std::string>()) == 1);
  }

  auto aggregates = s.call("POST", "/admin/v1/aggregates/types/_search", "");
  REQUIRE(aggregates.status == 200);
  CHECK(aggregates.body["aggregateTypes"].size() == 3);
  CHECK(
      aggregates.body["aggregateTypes"][0] ==
      nlohmann::json::parse(
          R"({"type":"user","localized":{"key":"AggregateTypes.user","localizedMessage":"User"}})"));

  // Malformed bodies are refused; events.read is needed (the auditor has it).
  CHECK(s.call("POST", "/admin/v1/events/types/_search", "[1]").status == 400);
  CHECK(s.call("POST", "/admin/v1/aggregates/types/_search", "{").status == 400);
  auto no_role = s.add_caller("no-role", s.org2(), {});
  CHECK(s.call_as(no_role.token, "POST", "/admin/v1/events/types/_search", "").status == 403);
  auto viewer = s.add_caller("auditor", s.org1(), {});
  REQUIRE(s.call("POST", "/admin/v1/members",
                 nlohmann::json{{"userId", viewer.id}, {"roles", {"IAM_OWNER_VIEWER"}}})
              .status == 200);
  CHECK(s.call_as(viewer.token, "POST", "/admin/v1/aggregates/types/_search", "").status == 200);
  CHECK(s.call("GET", "/admin/v1/events/types/_search").status == 405);
}
