// Routes, protojson decoding/encoding and the error shape, without a server.
#include <catch2/catch.hpp>

#include "app/rest/error_body.hpp"
#include "app/rest/messages_json.hpp"
#include "app/rest/routes.hpp"

using namespace mu::rest;
using mu::api::Rpc;
using mu::domain::Code;
using nlohmann::json;

TEST_CASE("routes with and without the /management/v1 prefix") {
  auto m = match_route("PUT", "/management/v1/users/123/machine");
  REQUIRE(m.ok());
  CHECK(m->rpc == Rpc::UpdateMachine);
  CHECK(m->param(0) == "123");
  CHECK(match_route("PUT", "/users/123/machine?x=1")->rpc == Rpc::UpdateMachine);
  CHECK(match_route("POST", "/users/machine")->rpc == Rpc::AddMachineUser);
  CHECK(match_route("GET", "/users/machine")->rpc == Rpc::GetUserByID);  // an id "machine"
  CHECK(match_route("DELETE", "/management/v1/users/9")->rpc == Rpc::RemoveUser);
  CHECK(match_route("POST", "/users/9/_deactivate")->rpc == Rpc::DeactivateUser);
  CHECK(match_route("POST", "/users/9/_reactivate")->rpc == Rpc::ReactivateUser);
  CHECK(match_route("POST", "/users/9/_lock")->rpc == Rpc::LockUser);
  CHECK(match_route("POST", "/users/9/_unlock")->rpc == Rpc::UnlockUser);
  CHECK(match_route("GET", "/users/a%2Fb")->param(0) == "a/b");
}

TEST_CASE("auth routes: PATs, orgs, members, admin") {
  auto pat = match_route("DELETE", "/management/v1/users/7/pats/9");
  REQUIRE(pat.ok());
  CHECK(pat->rpc == Rpc::RemovePersonalAccessToken);
  CHECK(pat->params == std::vector<std::string>{"7", "9"});
  CHECK(match_route("POST", "/users/7/pats")->rpc == Rpc::AddPersonalAccessToken);
  CHECK(match_route("POST", "/orgs")->rpc == Rpc::AddOrg);
  CHECK(match_route("GET", "/management/v1/orgs/me")->rpc == Rpc::GetMyOrg);
  CHECK(match_route("POST", "/orgs/me/members")->rpc == Rpc::AddOrgMember);
  CHECK(match_route("DELETE", "/orgs/me/members/5")->param(0) == "5");
  CHECK(match_route("POST", "/admin/v1/members")->rpc == Rpc::AddIAMMember);
  CHECK(match_route("DELETE", "/members/5")->rpc == Rpc::RemoveIAMMember);
  // Each service's routes only under its own prefix.
  CHECK(match_route("POST", "/management/v1/members").error().code == Code::NotFound);
  CHECK(match_route("POST", "/admin/v1/users/machine").error().code == Code::NotFound);
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
  auto r = decode_update_machine(
      R"({"name":"n","description":"d","accessTokenType":"ACCESS_TOKEN_TYPE_JWT"})", "7");
  REQUIRE(r.ok());
  CHECK(r->user_id == "7");
  CHECK(r->name == "n");
  CHECK(r->description == "d");
  CHECK(r->access_token_type == mu::domain::AccessTokenType::Jwt);

  CHECK(decode_update_machine("", "7").ok());  // an empty body is an empty message
  CHECK(decode_update_machine(R"({"userId":"other","name":"n"})", "7")->user_id ==
        "7");  // the path wins
  CHECK(decode_update_machine(R"({"access_token_type":1})", "7")->access_token_type ==
        mu::domain::AccessTokenType::Jwt);
  CHECK(static_cast<int>(
            decode_update_machine(R"({"accessTokenType":7})", "7")->access_token_type) == 7);
  CHECK(decode_update_machine(R"({"name":null,"extra":[1,2]})", "7")->name.empty());

  for (const char* bad :
       {R"({"name":1})", R"({"name":"a","accessTokenType":"JWT"})", R"({"accessTokenType":1.5})",
        R"({"accessTokenType":1,"access_token_type":1})", R"({"description":{}})", "[]", "{",
        "\"text\""}) {
    INFO(bad);
    auto e = decode_update_machine(bad, "7");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
    CHECK(e.error().id.empty());
  }
}

TEST_CASE("AddMachineUser bodies") {
  auto r =
      decode_add_machine_user(R"({"userName":"u","name":"n","user_id":"id1","accessTokenType":0})");
  REQUIRE(r.ok());
  CHECK(r->user_name == "u");
  CHECK(r->user_id == "id1");
  CHECK_FALSE(decode_add_machine_user(R"({"userName":false})").ok());
  // userId has presence: absent or null is unset, "" is set (and validation refuses it).
  CHECK_FALSE(decode_add_machine_user(R"({"userName":"u"})")->user_id.has_value());
  CHECK_FALSE(decode_add_machine_user(R"({"userName":"u","userId":null})")->user_id.has_value());
  CHECK(decode_add_machine_user(R"({"userName":"u","userId":""})")->user_id == "");
}

TEST_CASE("responses are written as protojson writes them") {
  mu::api::ObjectDetails d{2, mu::domain::from_unix_micros(1722428578702000),
                           mu::domain::from_unix_micros(1722428578702000), "69629023906488334"};
  CHECK(encode(mu::api::UpdateMachineResponse{d}) ==
        json::parse(R"({"details":{"sequence":"2","creationDate":"2024-07-31T12:22:58.702Z",
                        "changeDate":"2024-07-31T12:22:58.702Z","resourceOwner":"69629023906488334"}})"));
  mu::api::GetUserByIDResponse u;
  u.user.id = "1";
  u.user.state = mu::domain::UserState::Locked;
  u.user.machine.name = "n";
  auto j = encode(u);
  CHECK(j["user"]["state"] == "USER_STATE_LOCKED");
  CHECK(j["user"]["machine"] == json{{"name", "n"}});  // defaults are left out
  CHECK(j["user"]["details"] == json::object());
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
  CHECK(m->rpc == Rpc::ListUserChanges);
  CHECK(m->param(0) == "42");
  CHECK_FALSE(match_route("GET", "/users/42/changes/_search").ok());

  auto r = decode_list_user_changes(
      R"({"query":{"sequence":"18446744073709551615","limit":7,"asc":true}})", "42");
  REQUIRE(r.ok());
  CHECK(r->query.user_id == "42");
  CHECK(r->query.sequence == 18446744073709551615ull);
  CHECK(r->query.limit == 7);
  CHECK(r->query.asc);
  // Numbers as protojson takes them: integral JSON numbers, decimal strings, 5.0.
  r = decode_list_user_changes(R"({"query":{"sequence":12,"limit":"3","asc":false}})", "42");
  REQUIRE(r.ok());
  CHECK(r->query.sequence == 12);
  CHECK(r->query.limit == 3);
  CHECK(decode_list_user_changes(R"({"query":{"limit":5.0}})", "42")->query.limit == 5);
  r = decode_list_user_changes("", "42");
  REQUIRE(r.ok());
  CHECK(r->query.sequence == 0);
  CHECK(r->query.limit == 0);
  CHECK_FALSE(r->query.asc);

  for (const char* bad :
       {R"({"query":{"sequence":-1}})", R"({"query":{"sequence":"18446744073709551616"}})",
        R"({"query":{"sequence":" 1"}})", R"({"query":{"limit":4294967296}})",
        R"({"query":{"limit":"4294967296"}})", R"({"query":{"limit":2.5}})",
        R"({"query":{"limit":true}})", R"({"query":{"asc":1}})", R"({"query":[]})"}) {
    auto e = decode_list_user_changes(bad, "42");
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
  }
}

TEST_CASE("GetUserByID's asOf comes from the query, decoded as grpc-gateway reads queries") {
  auto m = match_route("GET", "/management/v1/users/42?asOf=7#frag");
  REQUIRE(m.ok());
  CHECK(m->rpc == Rpc::GetUserByID);
  CHECK(m->query == "asOf=7");
  auto r = decode_get_user_by_id("42", m->query);
  REQUIRE(r.ok());
  REQUIRE(r->as_of);
  CHECK(r->as_of->sequence == 7u);

  r = decode_get_user_by_id("42", "x=1&asOf=2026-11-28T10%3A00%3A00%2B01%3A00");
  REQUIRE(r.ok());
  REQUIRE(r->as_of);
  CHECK(r->as_of->time == mu::domain::parse_rfc3339("2026-11-28T09:00:00Z"));
  r = decode_get_user_by_id("42", "");
  REQUIRE(r.ok());
  CHECK_FALSE(r->as_of);
  CHECK_FALSE(decode_get_user_by_id("42", "asof=3")->as_of);  // names are case-sensitive

  // '+' is a space, so an unescaped offset is no timestamp; a bad escape, a repeated
  // name, an empty value or words are each InvalidArgument.
  for (const char* bad : {"asOf=2026-11-28T10:00:00+01:00", "asOf=%zz", "asOf=1&asOf=2",
                          "asOf=", "asOf", "asOf=last%20week", "asOf=0"}) {
    auto e = decode_get_user_by_id("42", bad);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Code::InvalidArgument);
  }
}

TEST_CASE("ListEventTypes and ListAggregateTypes: admin routes, ZITADEL's keys") {
  CHECK(match_route("POST", "/admin/v1/events/types/_search")->rpc == Rpc::ListEventTypes);
  CHECK(match_route("POST", "/admin/v1/aggregates/types/_search")->rpc == Rpc::ListAggregateTypes);
  CHECK_FALSE(match_route("POST", "/management/v1/events/types/_search").ok());

  const auto events = encode(mu::api::ListEventTypesResponse{{"user.machine.changed", "x.y"}});
  CHECK(events == json::parse(R"({"eventTypes":[
      {"type":"user.machine.changed","localized":{"key":"EventTypes.user.machine.changed",
                                                  "localizedMessage":"Technical user changed"}},
      {"type":"x.y","localized":{"key":"EventTypes.x.y","localizedMessage":"EventTypes.x.y"}}]})"));
  const auto aggregates = encode(mu::api::ListAggregateTypesResponse{{"org"}});
  CHECK(aggregates == json::parse(R"({"aggregateTypes":[
      {"type":"org","localized":{"key":"AggregateTypes.org","localizedMessage":"Organization"}}]})"));
  CHECK(encode(mu::api::ListEventTypesResponse{}) == json::object());
}
