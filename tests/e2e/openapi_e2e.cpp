// GET /openapi.json through the real binary: without a token, the document byte for
// byte as the build generated it (the file that tests/node/openapi_validate.mjs validates), and
// the operations endpoints' rules for other methods and prefixes.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;

namespace {

std::string source_document() {
  std::ifstream in(MU_OPENAPI_SOURCE, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("GET /openapi.json serves the generated document without authentication") {
  Service s;
  const auto file = source_document();
  auto got = s.http().request("GET", "/openapi.json");
  REQUIRE(got.status == 200);
  CHECK(got.header("content-type") == "application/json");
  CHECK(got.body.size() == file.size());
  CHECK(got.body == file);  // embedded at build time: a stale build fails here
  CHECK(json::parse(got.body)["openapi"].get<std::string>().starts_with("3.1"));

  auto head = s.http().request("HEAD", "/openapi.json");
  CHECK(head.status == 200);
  CHECK(head.body.empty());
  CHECK(head.header("content-length") == std::to_string(file.size()));

  // A token changes nothing; another method is 405 as on the other operations endpoints.
  CHECK(s.http()
            .request("GET", "/openapi.json", "", {{"authorization", "Bearer " + s.admin_token()}})
            .body == file);
  auto post = s.http().request("POST", "/openapi.json", "{}");
  CHECK(post.status == 405);
  CHECK(json::parse(post.body)["code"] == 12);
  // A body in another encoding on an API route: 415 (code 3), declared on every operation.
  auto proto = s.http().request("POST", "/management/v1/users/machine", std::string("\x0a\x01x"),
                                {{"authorization", "Bearer " + s.admin_token()},
                                 {"content-type", "application/grpc-web+proto"}});
  CHECK(proto.status == 415);
  // Not an API route: no alias under the prefixes.
  CHECK(s.http().request("GET", "/management/v1/openapi.json").status == 404);
}

// The answers are checked by `wire: every e2e REST response matches openapi.json`,
// which reads what this test records: here every documented operation is called at
// least once, so that none is left to the other tests' choice of calls.
TEST_CASE("every operation in openapi.json answers 200 once, for the response check") {
  Service s;
  const std::string users = "/management/v1/users/";
  auto ok = [&](const std::string& method, const std::string& target, const json& body = nullptr) {
    INFO(method << " " << target);
    auto r = s.call(method, target, body.is_null() ? std::string() : body.dump());
    CHECK(r.status == 200);
    return r.body;
  };
  const auto id = s.add_user("every-operation");  // AddMachineUser
  ok("PUT", users + id + "/machine", {{"name", "renamed"}, {"accessTokenType", 1}});
  ok("GET", users + id);
  ok("GET", users + id + "?asOf=1");
  for (const char* action : {"_lock", "_unlock", "_deactivate", "_reactivate"}) {
    ok("POST", users + id + "/" + action);
  }
  const auto pat = ok("POST", users + id + "/pats", json::object());
  ok("DELETE", users + id + "/pats/" + pat.value("tokenId", ""));
  ok("POST", users + id + "/changes/_search", {{"query", {{"limit", 2}}}});
  ok("POST", "/management/v1/orgs", {{"name", "every-operation org"}});
  ok("GET", "/management/v1/orgs/me");
  ok("POST", "/management/v1/orgs/me/members", {{"userId", id}, {"roles", {"ORG_USER_MANAGER"}}});
  ok("PUT", "/management/v1/orgs/me/members/" + id, {{"roles", {"ORG_OWNER"}}});
  ok("DELETE", "/management/v1/orgs/me/members/" + id);
  ok("POST", "/admin/v1/members", {{"userId", id}, {"roles", {"IAM_OWNER_VIEWER"}}});
  ok("PUT", "/admin/v1/members/" + id, {{"roles", {"IAM_OWNER"}}});
  ok("DELETE", "/admin/v1/members/" + id);
  ok("POST", "/admin/v1/events/_search", {{"limit", 3}});
  ok("POST", "/admin/v1/events/types/_search");
  ok("POST", "/admin/v1/aggregates/types/_search");
  ok("DELETE", users + id);
  for (const char* path : {"/healthz", "/readyz", "/metrics", "/openapi.json"}) {
    for (const char* method : {"GET", "HEAD"}) {
      INFO(method << " " << path);
      CHECK(s.http().request(method, path).status == 200);
    }
  }
}
