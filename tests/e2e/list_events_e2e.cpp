// Admin ListEvents: ZITADEL's filters and shapes, who may see what, and our
// position cursor, which pages every event once even when some commit late.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>
#include <set>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;

namespace {

const std::string kEvents = "/admin/v1/events/_search";

// "<aggregate id>/<sequence>" of each event of a ListEvents answer, in its order.
std::vector<std::string> keys(const json& body) {
  std::vector<std::string> out;
  if (!body.contains("events")) return out;
  for (const auto& e : body["events"]) {
    out.push_back(e["aggregate"]["id"].get<std::string>() + "/" + e["sequence"].get<std::string>());
  }
  return out;
}

std::vector<std::string> sequences(const json& body) {
  std::vector<std::string> out;
  if (!body.contains("events")) return out;
  for (const auto& e : body["events"]) out.push_back(e["sequence"]);
  return out;
}

// A call that also returns the cursor header.
struct Page {
  int status = 0;
  json body;
  std::string next_position;
};
Page page(Service& s, const json& request) {
  auto r = s.http().request("POST", kEvents, request.dump(),
                            {{"authorization", "Bearer " + s.admin_token()}});
  return {r.status, r.body.empty() ? json() : json::parse(r.body), r.header("x-next-position")};
}

}  // namespace

TEST_CASE("ListEvents: newest first, ZITADEL's event shape, every filter") {
  Service s;
  const auto id = s.add_user("listed", s.org2());
  REQUIRE(s.call("PUT", "/users/" + id + "/machine", R"({"name":"second"})", s.org2()).status ==
          200);
  REQUIRE(s.call("POST", "/users/" + id + "/_lock", "", s.org2()).status == 200);
  const auto other = s.add_user("other", s.org1());

  auto all = s.call("POST", kEvents, "");
  REQUIRE(all.status == 200);
  REQUIRE(all.body["events"].size() >= 6);
  CHECK(keys(all.body)[0] == other + "/1");  // newest first
  auto changed = s.call("POST", kEvents, json{{"aggregateId", id}, {"asc", true}});
  REQUIRE(changed.status == 200);
  CHECK(sequences(changed.body) == std::vector<std::string>{"1", "2", "3"});
  const auto& e = changed.body["events"][1];
  // The setup's admin is a machine user named "admin".
  CHECK(e["editor"] ==
        json{{"userId", s.admin_id()}, {"displayName", "admin"}, {"service", "zitadel"}});
  CHECK(e["aggregate"]["id"] == id);
  CHECK(
      e["aggregate"]["type"] ==
      json::parse(
          R"({"type":"user","localized":{"key":"AggregateTypes.user","localizedMessage":"User"}})"));
  CHECK(e["aggregate"]["resourceOwner"] == s.org2());
  CHECK(e["type"]["type"] == "user.machine.changed");
  CHECK(e["type"]["localized"]["key"] == "EventTypes.user.machine.changed");
  CHECK(e["type"]["localized"]["localizedMessage"] == "Technical user changed");
  CHECK(e["payload"]["name"] == "second");
  CHECK(e["creationDate"].get<std::string>().size() >= 20);

  // An editor who is a machine user is named.
  auto owner = s.add_caller("owner", s.org2(), {"ORG_OWNER"});
  REQUIRE(s.call_as(owner.token, "POST", "/users/" + id + "/_unlock", "{}").status == 200);
  auto by_owner = s.call("POST", kEvents, json{{"editorUserId", owner.id}});
  REQUIRE(keys(by_owner.body) == std::vector<std::string>{id + "/4"});
  CHECK(by_owner.body["events"][0]["editor"]["displayName"] == "Name of owner");

  // Filters, alone and together.
  CHECK(keys(s.call("POST", kEvents,
                    json{{"aggregateId", id}, {"eventTypes", {"user.locked", "user.unlocked"}}})
                 .body) == std::vector<std::string>{id + "/4", id + "/3"});
  // The reply is kept: a range-for over a member of a temporary would outlive it.
  const auto orgs_only = s.call("POST", kEvents, json{{"aggregateTypes", {"org"}}});
  REQUIRE(!orgs_only.body.at("events").empty());
  for (const auto& ev : orgs_only.body.at("events"))
    CHECK(ev["aggregate"]["type"]["type"] == "org");
  auto setup_events = s.call("POST", kEvents, json{{"editorUserId", "SYSTEM"}});
  REQUIRE(setup_events.body["events"].size() >= 3);
  for (const auto& ev : setup_events.body["events"]) {
    CHECK(ev["editor"] == json{{"userId", "SYSTEM"}, {"service", "zitadel"}});
  }
  auto in_org1 = s.call("POST", kEvents, json{{"resourceOwner", s.org1()}});
  REQUIRE(!in_org1.body["events"].empty());
  for (const auto& ev : in_org1.body["events"]) CHECK(ev["aggregate"]["resourceOwner"] == s.org1());
  CHECK(s.call("POST", kEvents, json{{"aggregateId", id}, {"aggregateTypes", {"org"}}}).body ==
        json::object());

  // ZITADEL's sequence compares each event's own sequence, in the direction asked.
  CHECK(
      sequences(s.call("POST", kEvents, json{{"aggregateId", id}, {"sequence", "2"}, {"asc", true}})
                    .body) == std::vector<std::string>{"3", "4"});
  CHECK(sequences(s.call("POST", kEvents, json{{"aggregateId", id}, {"sequence", 3}}).body) ==
        std::vector<std::string>{"2", "1"});
  // limit: at most that many; 0 and over 1000 mean 1000.
  CHECK(s.call("POST", kEvents, json{{"limit", 2}}).body["events"].size() == 2);
  const auto stored = static_cast<std::size_t>(s.count_events());
  CHECK(s.call("POST", kEvents, json{{"limit", 0}}).body["events"].size() == stored);
  CHECK(s.call("POST", kEvents, json{{"limit", 5000}}).body["events"].size() == stored);

  // Creation dates: range bounds both ways (strictly), from in the direction asked, and
  // the deprecated creationDate acts as from.
  const auto& evs = changed.body["events"];
  const std::string t1 = evs[0]["creationDate"], t2 = evs[1]["creationDate"],
                    t3 = evs[2]["creationDate"];
  REQUIRE(t1 < t2);
  REQUIRE(t2 < t3);
  CHECK(sequences(s.call("POST", kEvents,
                         json{{"aggregateId", id}, {"range", {{"since", t1}, {"until", t3}}}})
                      .body) == std::vector<std::string>{"2"});
  CHECK(sequences(
            s.call("POST", kEvents, json{{"aggregateId", id}, {"from", t2}, {"asc", true}}).body) ==
        std::vector<std::string>{"3", "4"});
  CHECK(sequences(s.call("POST", kEvents, json{{"aggregateId", id}, {"from", t2}}).body) ==
        std::vector<std::string>{"1"});
  CHECK(sequences(
            s.call("POST", kEvents, json{{"aggregateId", id}, {"creationDate", t3}, {"asc", true}})
                .body) == std::vector<std::string>{"4"});
}

TEST_CASE("ListEvents: bad input is refused, events.read decides, an org's role sees its org") {
  Service s;
  const auto id = s.add_user("seen", s.org2());
  json many_types = json::array();
  for (int i = 0; i < 31; ++i) many_types.push_back("user.locked");
  json many_aggregates = json::array();
  for (int i = 0; i < 11; ++i) many_aggregates.push_back("user");
  for (const json& bad :
       {json{{"eventTypes", many_types}}, json{{"aggregateTypes", many_aggregates}},
        json{{"limit", -1}}, json{{"asc", "yes"}}, json{{"eventTypes", "user.locked"}},
        json{{"from", "yesterday"}}, json{{"afterPosition", "999999999"}},
        json{{"range", {{"since", "2026-01-01T00:00:00Z"}}}, {"from", "2026-01-01T00:00:00Z"}},
        json{{"range", {{"since", "2026-01-02T00:00:00Z"}, {"until", "2026-01-01T00:00:00Z"}}}},
        json{{"aggregateId", std::string(201, '1')}}}) {
    auto r = s.call("POST", kEvents, bad);
    CHECK(r.status == 400);
    CHECK(r.body["code"] == 3);
  }
  CHECK(s.call("POST", kEvents, "{").status == 400);
  CHECK(s.call("GET", kEvents).status == 405);

  // events.read: a user manager has none; an ORG_OWNER has it in its organization and
  // sees that organization's events alone; the auditor sees every organization's.
  auto manager = s.add_caller("manager", s.org2(), {"ORG_USER_MANAGER"});
  CHECK(s.call_as(manager.token, "POST", kEvents, "").status == 403);
  auto owner = s.add_caller("owner", s.org2(), {"ORG_OWNER"});
  auto own = s.call_as(owner.token, "POST", kEvents, "");
  REQUIRE(own.status == 200);
  REQUIRE(!own.body["events"].empty());
  for (const auto& ev : own.body["events"]) CHECK(ev["aggregate"]["resourceOwner"] == s.org2());
  CHECK(s.call_as(owner.token, "POST", kEvents, json{{"resourceOwner", s.org1()}}.dump()).body ==
        json::object());
  auto viewer = s.add_caller("auditor", s.org1(), {});
  REQUIRE(s.call("POST", "/admin/v1/members",
                 json{{"userId", viewer.id}, {"roles", {"IAM_OWNER_VIEWER"}}})
              .status == 200);
  auto everything = s.call_as(viewer.token, "POST", kEvents, json{{"limit", 1000}}.dump());
  REQUIRE(everything.status == 200);
  std::set<std::string> owners;
  for (const auto& ev : everything.body["events"]) owners.insert(ev["aggregate"]["resourceOwner"]);
  CHECK(owners.count(s.org1()) == 1);
  CHECK(owners.count(s.org2()) == 1);
  CHECK(!keys(s.call_as(viewer.token, "POST", kEvents, json{{"aggregateId", id}}.dump()).body)
             .empty());
}

TEST_CASE("ListEvents afterPosition pages every event once, also one that commits late") {
  Service s;
  for (int i = 0; i < 5; ++i) s.add_user("paged-" + std::to_string(i), s.org2());

  // Pages of 3 from the start, ascending: every event once, in (transaction, position) order.
  std::vector<std::string> seen;
  std::string cursor = "0";
  for (int guard = 0; guard < 100; ++guard) {
    auto p = page(s, json{{"asc", true}, {"limit", 3}, {"afterPosition", cursor}});
    REQUIRE(p.status == 200);
    REQUIRE(!p.next_position.empty());
    const auto got = keys(p.body);
    seen.insert(seen.end(), got.begin(), got.end());
    if (got.empty()) {
      CHECK(p.next_position == cursor);  // an empty page leaves the cursor where it was
      break;
    }
    cursor = p.next_position;
  }
  pqxx::connection conn(s.database().url());
  std::vector<std::string> stored;
  {
    pqxx::nontransaction tx(conn);
    for (const auto& r : tx.exec("SELECT aggregate_id || '/' || sequence FROM events ORDER BY "
                                 "tx_id, position")) {
      stored.push_back(r[0].as<std::string>());
    }
  }
  CHECK(seen == stored);

  // A transaction takes a position and stays open while a call commits a later one.
  // The page after the cursor must not show the later event yet: had it done so, the
  // cursor would pass the earlier position, and that event would never be shown.
  pqxx::connection slow(s.database().url());
  pqxx::work late(slow);
  late.exec_params(
      "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, owner) "
      "VALUES ('user', 'late-user', 1, 'user.machine.added', $1)",
      s.org2());
  const auto later = s.add_user("committed-first", s.org2());
  auto while_open = page(s, json{{"asc", true}, {"afterPosition", cursor}});
  REQUIRE(while_open.status == 200);
  CHECK(keys(while_open.body).empty());
  CHECK(while_open.next_position == cursor);
  late.commit();
  auto after = page(s, json{{"asc", true}, {"afterPosition", cursor}});
  CHECK(keys(after.body) == std::vector<std::string>{"late-user/1", later + "/1"});

  // Newest first with the cursor walks back through the same events.
  std::vector<std::string> back;
  cursor = "0";
  for (int guard = 0; guard < 100; ++guard) {
    auto p = page(s, json{{"limit", 4}, {"afterPosition", cursor}});
    const auto got = keys(p.body);
    if (got.empty()) break;
    back.insert(back.end(), got.begin(), got.end());
    cursor = p.next_position;
  }
  stored.push_back("late-user/1");
  stored.push_back(later + "/1");
  CHECK(std::vector<std::string>(back.rbegin(), back.rend()) == stored);
}

TEST_CASE("ListEvents and ListUserChanges: limit 0 and any limit over 1000 give pages of 1000") {
  Service s;
  const auto id = s.add_user("long-history", s.org2());
  {
    // 1,100 more changes, written straight into the store (the API would take a while).
    pqxx::connection conn(s.database().url());
    pqxx::work tx(conn);
    tx.exec_params(
        "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, owner) "
        "SELECT 'user', $1, n, 'user.machine.changed', $2 FROM generate_series(2, 1101) n",
        id, s.org2());
    tx.commit();
  }
  for (const json& limit : {json(0), json(1001), json(5000), json("4294967295")}) {
    INFO(limit.dump());
    CHECK(s.call("POST", kEvents, json{{"limit", limit}}).body["events"].size() == 1000);
    const auto changes = s.call("POST", "/management/v1/users/" + id + "/changes/_search",
                                json{{"query", {{"limit", limit}}}}, s.org2());
    CHECK(changes.body["result"].size() == 1000);
  }
  CHECK(s.call("POST", kEvents, json{{"limit", 999}}).body["events"].size() == 999);
}
