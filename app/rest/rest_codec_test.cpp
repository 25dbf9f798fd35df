// Routes (read from the protos' google.api.http), protojson decoding into the
// generated messages and printing from them, and the error shape, without a server.
#include <catch2/catch.hpp>

#include "app/rest/error_body.hpp"
#include "app/rest/protojson.hpp"
#include "app/rest/rest_request.hpp"
#include "app/rest/routes.hpp"
#include "zitadel/admin.pb.h"
#include "zitadel/management.pb.h"

using namespace mu::rest;
using mu::domain::Code;
using nlohmann::json;
namespace mgmt = zitadel::management::v1;
namespace admin = zitadel::admin::v1;

namespace {

// The RPC a method and target route to ("" when none).
std::string rpc(std::string_view method, std::string_view target) {
  auto m = match_route(method, target);
  return m.ok() ? m->rpc->name : "";
}

// The request a REST call makes, as its message type (the route must exist).
template <class Message>
mu::domain::Result<Message> decoded(std::string_view method, std::string_view target,
                                    std::string_view body) {
  auto m = match_route(method, target);
  REQUIRE(m.ok());
  auto request = decode_request(*m, body);
  if (!request.ok()) return request.error();
  const auto* typed = dynamic_cast<const Message*>(request->message.get());
  REQUIRE(typed);
  return *typed;
}

mu::domain::Result<mgmt::UpdateMachineRequest> update_machine(std::string_view body) {
  return decoded<mgmt::UpdateMachineRequest>("PUT", "/users/7/machine", body);
}

mu::domain::Result<mgmt::ListUserChangesRequest> user_changes(std::string_view body) {
  return decoded<mgmt::ListUserChangesRequest>("POST", "/users/42/changes/_search", body);
}

}  // namespace

TEST_CASE("routes with and without the /management/v1 prefix") {
  auto m = match_route("PUT", "/management/v1/users/123/machine");
  REQUIRE(m.ok());
  CHECK(m->rpc->name == "UpdateMachine");
  CHECK(m->param(0) == "123");
  CHECK(m->fields == std::vector<std::string>{"user_id"});
  CHECK(rpc("PUT", "/users/123/machine?x=1") == "UpdateMachine");
  CHECK(rpc("POST", "/users/machine") == "AddMachineUser");
  CHECK(rpc("GET", "/users/machine") == "GetUserByID");  // an id "machine"
  CHECK(rpc("DELETE", "/management/v1/users/9") == "RemoveUser");
  CHECK(rpc("POST", "/users/9/_deactivate") == "DeactivateUser");
  CHECK(rpc("POST", "/users/9/_reactivate") == "ReactivateUser");
  CHECK(rpc("POST", "/users/9/_lock") == "LockUser");
  CHECK(rpc("POST", "/users/9/_unlock") == "UnlockUser");
  CHECK(match_route("GET", "/users/a%2Fb")->param(0) == "a/b");
}

TEST_CASE("auth routes: PATs, orgs, members, admin") {
  auto pat = match_route("DELETE", "/management/v1/users/7/pats/9");
  REQUIRE(pat.ok());
  CHECK(pat->rpc->name == "RemovePersonalAccessToken");
  CHECK(pat->params == std::vector<std::string>{"7", "9"});
  CHECK(pat->fields == std::vector<std::string>{"user_id", "token_id"});
  CHECK(rpc("POST", "/users/7/pats") == "AddPersonalAccessToken");
  CHECK(rpc("POST", "/orgs") == "AddOrg");
  CHECK(rpc("GET", "/management/v1/orgs/me") == "GetMyOrg");
  CHECK(rpc("POST", "/orgs/me/members") == "AddOrgMember");
  CHECK(match_route("DELETE", "/orgs/me/members/5")->param(0) == "5");
  CHECK(rpc("POST", "/admin/v1/members") == "AddIAMMember");
  CHECK(rpc("DELETE", "/members/5") == "RemoveIAMMember");
  // Each service's routes only under its own prefix.
  CHECK(match_route("POST", "/management/v1/members").error().code == Code::NotFound);
  CHECK(match_route("POST", "/admin/v1/users/machine").error().code == Code::NotFound);
}

TEST_CASE("credential routes: a user's secret and keys") {
  CHECK(rpc("PUT", "/management/v1/users/7/secret") == "GenerateMachineSecret");
  CHECK(rpc("DELETE", "/users/7/secret") == "RemoveMachineSecret");
  CHECK(rpc("POST", "/users/7/keys") == "AddMachineKey");
  // _search is ListMachineKeys' when posted, and a key id to GET or DELETE.
  CHECK(rpc("POST", "/users/7/keys/_search") == "ListMachineKeys");
  CHECK(rpc("GET", "/users/7/keys/_search") == "GetMachineKeyByIDs");
  auto key = match_route("DELETE", "/management/v1/users/7/keys/9");
  REQUIRE(key.ok());
  CHECK(key->rpc->name == "RemoveMachineKey");
  CHECK(key->fields == std::vector<std::string>{"user_id", "key_id"});
  CHECK(match_route("POST", "/users/7/secret").error().code == Code::Unimplemented);
}

TEST_CASE("unknown paths are NotFound, known paths with another method Unimplemented") {
  CHECK(match_route("GET", "/nope").error().code == Code::NotFound);
  CHECK(match_route("GET", "/management/v1").error().code == Code::NotFound);
  CHECK(match_route("GET", "/management/v1x/users/1").error().code == Code::NotFound);
  CHECK(match_route("GET", "/users//machine").error().code == Code::NotFound);
  CHECK(match_route("PATCH", "/users/1/machine").error().code == Code::Unimplemented);
  CHECK(match_route("PUT", "/users/1").error().code == Code::Unimplemented);
  CHECK(match_route("GET", "/users/%zz").error().code == Code::InvalidArgument);
  CHECK_FALSE(percent_decode("%4"));
  CHECK(percent_decode("%41b") == "Ab");
}

TEST_CASE("UpdateMachine bodies are read as protojson") {
  auto r =
      update_machine(R"({"name":"n","description":"d","accessTokenType":"ACCESS_TOKEN_TYPE_JWT"})");
  REQUIRE(r.ok());
  CHECK(r->user_id() == "7");
  CHECK(r->name() == "n");
  CHECK(r->description() == "d");
  CHECK(r->access_token_type() == zitadel::user::v1::ACCESS_TOKEN_TYPE_JWT);

  CHECK(update_machine("").ok());  // an empty body is an empty message
  CHECK(update_machine(R"({"userId":"other","name":"n"})")->user_id() == "7");  // the path wins
  CHECK(update_machine(R"({"access_token_type":1})")->access_token_type() ==
        zitadel::user::v1::ACCESS_TOKEN_TYPE_JWT);
  CHECK(static_cast<int>(update_machine(R"({"accessTokenType":7})")->access_token_type()) == 7);
  CHECK(update_machine(R"({"name":null,"extra":[1,2]})")->name().empty());

  for (const char* bad :
       {R"({"name":1})", R"({"name":"a","accessTokenType":"JWT"})", R"({"accessTokenType":1.5})",
        R"({"accessTokenType":1,"access_token_type":1})", R"({"description":{}})", "[]", "{",
        "\"text\""}) {
    INFO(bad);
    auto e = update_machine(bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
    CHECK(e.error().id.empty());
  }
  // The wording the REST contract documents.
  CHECK(update_machine(R"({"name":1})").error().message ==
        "invalid value for string field name: 1");
  CHECK(update_machine(R"({"accessTokenType":"JWT"})").error().message ==
        "invalid value for enum field accessTokenType: \"JWT\"");
  CHECK(update_machine(R"({"name":"a","name":"b"})").error().message.find("duplicate") !=
        std::string::npos);
}

TEST_CASE("AddMachineUser bodies") {
  auto add = [](std::string_view body) {
    return decoded<mgmt::AddMachineUserRequest>("POST", "/users/machine", body);
  };
  auto r = add(R"({"userName":"u","name":"n","user_id":"id1","accessTokenType":0})");
  REQUIRE(r.ok());
  CHECK(r->user_name() == "u");
  CHECK(r->user_id() == "id1");
  CHECK_FALSE(add(R"({"userName":false})").ok());
  // userId has presence: absent or null is unset, "" is set (and validation refuses it).
  CHECK_FALSE(add(R"({"userName":"u"})")->has_user_id());
  CHECK_FALSE(add(R"({"userName":"u","userId":null})")->has_user_id());
  CHECK(add(R"({"userName":"u","userId":""})")->has_user_id());
}

TEST_CASE("bytes fields are base64, as protojson reads them") {
  auto key = [](const std::string& public_key) {
    return decoded<mgmt::AddMachineKeyRequest>("POST", "/users/7/keys",
                                               json{{"type", 1}, {"publicKey", public_key}}.dump());
  };
  // "PEM?>" is UEVNPz4= in the standard alphabet; without its padding it is read too.
  for (const char* text : {"UEVNPz4=", "UEVNPz4"}) {
    INFO(text);
    auto r = key(text);
    REQUIRE(r.ok());
    CHECK(r->public_key() == "PEM?>");
  }
  // The URL-safe alphabet when '-' or '_' is in it.
  auto url = key("-_8=");
  REQUIRE(url.ok());
  CHECK(url->public_key() == "\xfb\xff");
  CHECK(key("+/8=")->public_key() == "\xfb\xff");
  for (const char* bad : {"not base64!", "UEVNPz4==", "U", "UE=N"}) {
    INFO(bad);
    auto r = key(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == Code::InvalidArgument);
    CHECK(r.error().message.starts_with("invalid value for bytes field publicKey: "));
  }
}

TEST_CASE("routes without a body mapping do not read the body") {
  auto removed = decoded<mgmt::RemoveUserRequest>("DELETE", "/users/9", "not json");
  REQUIRE(removed.ok());
  CHECK(removed->id() == "9");
  // With body "*" (ZITADEL's mapping for the lifecycle calls) malformed JSON is refused.
  CHECK(decoded<mgmt::LockUserRequest>("POST", "/users/9/_lock", "").ok());
  CHECK_FALSE(decoded<mgmt::LockUserRequest>("POST", "/users/9/_lock", "{").ok());
}

TEST_CASE("members: repeated strings, all or nothing") {
  auto r = decoded<mgmt::UpdateOrgMemberRequest>("PUT", "/orgs/me/members/5",
                                                 R"({"userId":"x","roles":["A","B"]})");
  REQUIRE(r.ok());
  CHECK(r->user_id() == "5");
  REQUIRE(r->roles_size() == 2);
  CHECK(r->roles(1) == "B");
  auto bad = decoded<admin::AddIAMMemberRequest>("POST", "/members", R"({"roles":["A",1]})");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message == R"(invalid value for repeated string field roles: ["A",1])");
}

TEST_CASE("ListEvents: timestamps, the oneof, and afterPosition beside the message") {
  auto m = match_route("POST", "/admin/v1/events/_search");
  REQUIRE(m.ok());
  auto r = decode_request(
      *m, R"({"range":{"since":"2024-07-31T12:22:58.702123Z"},"afterPosition":"17","limit":3})");
  REQUIRE(r.ok());
  const auto& events = dynamic_cast<const admin::ListEventsRequest&>(*r->message);
  CHECK(events.range().since().seconds() == 1722428578);
  CHECK(events.range().since().nanos() == 702123000);
  CHECK_FALSE(events.range().has_until());
  CHECK(events.limit() == 3);
  CHECK(r->extras.after_position == 17);

  auto both = decode_request(*m, R"({"range":{},"from":"2024-07-31T12:22:58Z"})");
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().message ==
        "range and from are one oneof (creation_date_filter): set one of them");
  for (const char* bad : {R"({"from":"yesterday"})", R"({"from":5})", R"({"afterPosition":-1})",
                          R"({"afterPosition":"9223372036854775808"})", R"({"range":[]})"}) {
    INFO(bad);
    auto e = decode_request(*m, bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
  }
}

TEST_CASE("responses are written as protojson writes them") {
  mgmt::UpdateMachineResponse res;
  auto& d = *res.mutable_details();
  d.set_sequence(2);
  d.mutable_creation_date()->set_seconds(1722428578);
  d.mutable_creation_date()->set_nanos(702000000);
  *d.mutable_change_date() = d.creation_date();
  d.set_resource_owner("69629023906488334");
  // Fields in their numbers' order, 64-bit integers as strings, 0/3/6/9 fraction digits.
  CHECK(print_message(res).value() ==
        R"({"details":{"sequence":"2","creationDate":"2024-07-31T12:22:58.702Z",)"
        R"("changeDate":"2024-07-31T12:22:58.702Z","resourceOwner":"69629023906488334"}})");

  mgmt::GetUserByIDResponse u;
  u.mutable_user()->set_id("1");
  u.mutable_user()->set_state(zitadel::user::v1::USER_STATE_LOCKED);
  u.mutable_user()->mutable_machine()->set_name("n");
  u.mutable_user()->mutable_details();
  auto j = json::parse(print_message(u).value());
  CHECK(j["user"]["state"] == "USER_STATE_LOCKED");
  CHECK(j["user"]["machine"] == json{{"name", "n"}});  // defaults are left out
  CHECK(j["user"]["details"] == json::object());
}

TEST_CASE("an event's payload prints with its keys in order, on every run") {
  admin::ListEventsResponse res;
  auto& fields = *res.add_events()->mutable_payload()->mutable_fields();
  for (const char* key : {"zeta", "alpha", "mid", "beta", "omega", "gamma", "delta"}) {
    fields[key].set_string_value(key);
  }
  CHECK(print_message(res).value() ==
        R"({"events":[{"payload":{"alpha":"alpha","beta":"beta","delta":"delta",)"
        R"("gamma":"gamma","mid":"mid","omega":"omega","zeta":"zeta"}}]})");
}

TEST_CASE("errors map to grpc-gateway's status and shape") {
  CHECK(http_status(Code::InvalidArgument) == 400);
  CHECK(http_status(Code::FailedPrecondition) == 400);
  CHECK(http_status(Code::NotFound) == 404);
  CHECK(http_status(Code::AlreadyExists) == 409);
  CHECK(http_status(Code::Aborted) == 409);
  CHECK(http_status(Code::PermissionDenied) == 403);
  CHECK(http_status(Code::Unauthenticated) == 401);
  CHECK(http_status(Code::ResourceExhausted) == 429);
  CHECK(http_status(Code::Internal) == 500);
  CHECK(http_status(Code::Unavailable) == 503);
  CHECK(http_status(Code::Unimplemented) == 501);

  CHECK(json::parse(error_json({Code::NotFound, "COMMAND-5M0od", "User could not be found"})) ==
        json::parse(R"j({"code":5,"message":"User could not be found (COMMAND-5M0od)","details":[
          {"@type":"type.googleapis.com/zitadel.v1.ErrorDetail","id":"COMMAND-5M0od","message":"User could not be found"}]})j"));
  CHECK(json::parse(error_json(mu::domain::invalid_argument("bad"))) ==
        json{{"code", 3}, {"message", "bad"}, {"details", json::array()}});
  CHECK(error_response({Code::NotFound, "", "Not Found"}).status == 404);
}

TEST_CASE("ListUserChanges: its route, and its query read as protojson") {
  auto m = match_route("POST", "/management/v1/users/42/changes/_search");
  REQUIRE(m.ok());
  CHECK(m->rpc->name == "ListUserChanges");
  CHECK(m->param(0) == "42");
  CHECK_FALSE(match_route("GET", "/users/42/changes/_search").ok());

  auto r = user_changes(R"({"query":{"sequence":"18446744073709551615","limit":7,"asc":true}})");
  REQUIRE(r.ok());
  CHECK(r->user_id() == "42");
  CHECK(r->query().sequence() == 18446744073709551615ull);
  CHECK(r->query().limit() == 7);
  CHECK(r->query().asc());
  // Numbers as protojson takes them: integral JSON numbers, decimal strings, 5.0.
  r = user_changes(R"({"query":{"sequence":12,"limit":"3","asc":false}})");
  REQUIRE(r.ok());
  CHECK(r->query().sequence() == 12);
  CHECK(r->query().limit() == 3);
  CHECK(user_changes(R"({"query":{"limit":5.0}})")->query().limit() == 5);
  r = user_changes("");
  REQUIRE(r.ok());
  CHECK(r->query().sequence() == 0);
  CHECK(r->query().limit() == 0);
  CHECK_FALSE(r->query().asc());

  for (const char* bad :
       {R"({"query":{"sequence":-1}})", R"({"query":{"sequence":"18446744073709551616"}})",
        R"({"query":{"sequence":" 1"}})", R"({"query":{"limit":4294967296}})",
        R"({"query":{"limit":"4294967296"}})", R"({"query":{"limit":2.5}})",
        R"({"query":{"limit":true}})", R"({"query":{"asc":1}})", R"({"query":[]})"}) {
    auto e = user_changes(bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
  }
}

TEST_CASE("GetUserByID's asOf comes from the query, decoded as grpc-gateway reads queries") {
  auto m = match_route("GET", "/management/v1/users/42?asOf=7#frag");
  REQUIRE(m.ok());
  CHECK(m->rpc->name == "GetUserByID");
  CHECK(m->query == "asOf=7");
  auto decode_get_user_by_id = [](const char*, std::string_view query) {
    auto route = match_route("GET", "/users/42?" + std::string(query));
    REQUIRE(route.ok());
    return decode_request(*route, "");
  };
  auto r = decode_get_user_by_id("42", m->query);
  REQUIRE(r.ok());
  CHECK(dynamic_cast<const mgmt::GetUserByIDRequest&>(*r->message).id() == "42");
  REQUIRE(r->extras.as_of);
  CHECK(r->extras.as_of->sequence == 7u);

  r = decode_get_user_by_id("42", "x=1&asOf=2026-11-28T10%3A00%3A00%2B01%3A00");
  REQUIRE(r.ok());
  REQUIRE(r->extras.as_of);
  CHECK(r->extras.as_of->time == mu::domain::parse_rfc3339("2026-11-28T09:00:00Z"));
  r = decode_get_user_by_id("42", "");
  REQUIRE(r.ok());
  CHECK_FALSE(r->extras.as_of);
  CHECK_FALSE(decode_get_user_by_id("42", "asof=3")->extras.as_of);  // names are case-sensitive

  // '+' is a space, so an unescaped offset is no timestamp; a bad escape, a repeated
  // name, an empty value or words are each InvalidArgument.
  for (const char* bad : {"asOf=2026-11-28T10:00:00+01:00", "asOf=%zz", "asOf=1&asOf=2",
                          "asOf=", "asOf", "asOf=last%20week", "asOf=0"}) {
    auto e = decode_get_user_by_id("42", bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
  }
}

TEST_CASE("ListEventTypes and ListAggregateTypes: admin routes only") {
  CHECK(rpc("POST", "/admin/v1/events/types/_search") == "ListEventTypes");
  CHECK(rpc("POST", "/admin/v1/aggregates/types/_search") == "ListAggregateTypes");
  CHECK_FALSE(match_route("POST", "/management/v1/events/types/_search").ok());
  CHECK(print_message(admin::ListEventTypesResponse{}).value() == "{}");
}
