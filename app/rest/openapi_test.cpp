// The embedded OpenAPI document against the router: every operation it lists under
// /management/v1 and /admin/v1 is the route of the RPC its operationId names (with
// and without the prefix), and every RPC of the table has its operation: the router
// and the document are both read from the protos, and this checks they agree.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "app/pipeline/rpc_table.hpp"
#include "app/rest/openapi.hpp"
#include "app/rest/routes.hpp"

using namespace mu::rest;
using nlohmann::json;

namespace {

std::string upper(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return s;
}

// A template's concrete path: each {name} becomes "p<n>", so parameters can be told apart.
std::string concrete(const std::string& path) {
  std::string out;
  int n = 0;
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      out += "p" + std::to_string(n++);
      i = path.find('}', i);
    } else {
      out += path[i];
    }
  }
  return out;
}

}  // namespace

TEST_CASE("openapi.json: every API operation is the route of its RPC, prefixed or not") {
  const auto doc = json::parse(kOpenApiJson);
  REQUIRE(doc["openapi"].get<std::string>().starts_with("3.1"));
  std::set<std::string> documented;
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      const std::string prefix = path.starts_with("/management/v1/") ? "/management/v1"
                                 : path.starts_with("/admin/v1/")    ? "/admin/v1"
                                                                     : "";
      if (prefix.empty()) continue;  // /healthz and the like are answered before routing
      INFO(method << " " << path);
      const auto target = concrete(path);
      const auto id = op["operationId"].get<std::string>();
      documented.insert(id);
      for (const auto& t : {target, target.substr(prefix.size())}) {
        auto m = match_route(upper(method), t);
        REQUIRE(m.ok());
        CHECK(m->rpc->name == id);
        std::vector<std::string> expected;
        for (std::size_t i = 0; i < m->params.size(); ++i)
          expected.push_back("p" + std::to_string(i));
        CHECK(m->params == expected);
      }
    }
  }
  for (const auto& rpc : mu::pipeline::rpc_table()) {
    INFO(rpc.name);
    CHECK(documented.count(rpc.name) == 1);
  }
}

TEST_CASE("openapi.json: /openapi.json answers with the embedded document") {
  const auto res = openapi_response();
  CHECK(res.status == 200);
  CHECK(res.content_type == "application/json");
  CHECK(res.body == kOpenApiJson);
}
