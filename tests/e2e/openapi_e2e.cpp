// GET /openapi.json through the real binary: without a token, the document byte for
// byte as checked in (the file that tests/node/openapi_validate.mjs validates), and
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

TEST_CASE("GET /openapi.json serves the checked-in document without authentication") {
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
  // Not an API route: no alias under the prefixes.
  CHECK(s.http().request("GET", "/management/v1/openapi.json").status == 404);
}
