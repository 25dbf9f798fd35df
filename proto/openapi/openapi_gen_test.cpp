// openapi-gen on the real protos. The document the build generated (and the server embeds)
// is checked against the RPCs' options as the generated option classes read them, not as
// the generator's reflection does: every RPC is exactly one operation with its verb, path
// and permission; a write lists 409 and the write headers; a path field is a required path
// parameter and no body field. And an overlay that does not fit the protos fails generation.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <google/api/annotations.pb.h>
#include <mu/options.pb.h>
#include <zitadel/admin.pb.h>
#include <zitadel/management.pb.h>
#include <zitadel/options.pb.h>

#include "app/rest/openapi.hpp"
#include "proto/openapi/document.hpp"

namespace {

using mu::openapi::Json;

std::string gen_test_read(const char* path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const Json& gen_test_document() {
  static const Json doc = Json::parse(gen_test_read(MU_OPENAPI_DOCUMENT_FILE));
  return doc;
}

struct GenTestOperation {
  std::string verb;
  std::string path;
  Json op;
};

// The API operations (under a service prefix) by operationId.
std::map<std::string, std::vector<GenTestOperation>> gen_test_operations() {
  std::map<std::string, std::vector<GenTestOperation>> out;
  for (const auto& [path, item] : gen_test_document()["paths"].items()) {
    if (!path.starts_with("/management/v1/") && !path.starts_with("/admin/v1/")) continue;
    for (const auto& [verb, op] : item.items())
      out[op["operationId"].get<std::string>()].push_back({verb, path, op});
  }
  return out;
}

// The services and their prefixes; naming a message of each file links its descriptors in.
std::vector<std::pair<const google::protobuf::ServiceDescriptor*, std::string>>
gen_test_services() {
  return {{zitadel::management::v1::GetUserByIDRequest::descriptor()->file()->FindServiceByName(
               "ManagementService"),
           "/management/v1"},
          {zitadel::admin::v1::ListEventsRequest::descriptor()->file()->FindServiceByName(
               "AdminService"),
           "/admin/v1"}};
}

// A path template with each {field} named as the document names it (the field's JSON name).
std::string gen_test_path(const google::protobuf::MethodDescriptor& method, std::string tmpl) {
  std::string out;
  for (std::size_t open; (open = tmpl.find('{')) != std::string::npos;) {
    const auto close = tmpl.find('}', open);
    const auto* field =
        method.input_type()->FindFieldByName(tmpl.substr(open + 1, close - open - 1));
    REQUIRE(field);
    out += tmpl.substr(0, open) + "{" + field->json_name() + "}";
    tmpl = tmpl.substr(close + 1);
  }
  return out + tmpl;
}

bool gen_test_has_ref(const Json& list, const std::string& ref) {
  for (const auto& item : list)
    if (item.value("$ref", "") == ref) return true;
  return false;
}

const Json& gen_test_resolve(const Json& node) {
  if (!node.contains("$ref")) return node;
  return gen_test_document().at(Json::json_pointer(node["$ref"].get<std::string>().substr(1)));
}

}  // namespace

TEST_CASE("openapi-gen: every RPC is one operation with its options' verb, path and permission") {
  const auto operations = gen_test_operations();
  std::size_t rpcs = 0;
  for (const auto& [service, prefix] : gen_test_services()) {
    REQUIRE(service);
    for (int i = 0; i < service->method_count(); ++i) {
      const auto& method = *service->method(i);
      INFO(method.full_name());
      ++rpcs;
      const auto& options = method.options();
      REQUIRE(options.HasExtension(google::api::http));
      const auto& http = options.GetExtension(google::api::http);
      std::string verb, tmpl;
      if (http.has_get()) verb = "get", tmpl = http.get();
      if (http.has_put()) verb = "put", tmpl = http.put();
      if (http.has_post()) verb = "post", tmpl = http.post();
      if (http.has_delete_()) verb = "delete", tmpl = http.delete_();
      REQUIRE(operations.count(method.name()) == 1);
      const auto& found = operations.at(method.name());
      REQUIRE(found.size() == 1);
      CHECK(found[0].verb == verb);
      CHECK(found[0].path == prefix + gen_test_path(method, tmpl));
      const auto permission = options.GetExtension(zitadel::v1::auth_option).permission();
      REQUIRE_FALSE(permission.empty());
      CHECK(found[0].op["description"].get<std::string>().ends_with("Permission: `" + permission +
                                                                    "`."));
      CHECK_FALSE(found[0].op["summary"].get<std::string>().empty());

      const Json& op = found[0].op;
      const bool writes = options.GetExtension(mu::v1::writes);
      CHECK(op["responses"].contains("409") == writes);
      CHECK(gen_test_has_ref(op["parameters"], "#/components/parameters/IdempotencyKey") == writes);
      CHECK(gen_test_has_ref(op["parameters"], "#/components/parameters/IfMatch") == writes);
      CHECK(op["responses"]["200"]["headers"].contains("Idempotent-Replayed") == writes);
      for (const char* status : {"400", "401", "403", "404", "413", "415", "429", "500", "503"})
        CHECK(op["responses"].contains(status));
    }
  }
  // No operation under a prefix that is not an RPC.
  CHECK(operations.size() == rpcs);
  CHECK(rpcs == 22);
}

TEST_CASE("openapi-gen: a path {user_id} is the required path parameter userId, not a body field") {
  const auto operations = gen_test_operations();
  const auto& update = operations.at("UpdateMachine").at(0);
  CHECK(update.path == "/management/v1/users/{userId}/machine");
  REQUIRE(update.op["parameters"].size() >= 1);
  const Json& parameter = gen_test_resolve(update.op["parameters"][0]);
  CHECK(parameter["name"] == "userId");
  CHECK(parameter["in"] == "path");
  CHECK(parameter["required"] == true);
  const Json& body =
      gen_test_resolve(update.op["requestBody"]["content"]["application/json"]["schema"]);
  CHECK(body["properties"].contains("name"));
  CHECK_FALSE(body["properties"].contains("userId"));
  CHECK_FALSE(body["properties"].contains("user_id"));

  // Only the path's fields leave the body: AddMachineUser's userId is a body field.
  const auto& add = operations.at("AddMachineUser").at(0);
  CHECK(
      gen_test_resolve(add.op["requestBody"]["content"]["application/json"]["schema"])["properties"]
          .contains("userId"));
  // Two path fields, in the path's order; a call whose fields all come from the path has no body.
  const auto& revoke = operations.at("RemovePersonalAccessToken").at(0);
  CHECK(revoke.path == "/management/v1/users/{userId}/pats/{tokenId}");
  CHECK(gen_test_resolve(revoke.op["parameters"][0])["name"] == "userId");
  CHECK(gen_test_resolve(revoke.op["parameters"][1])["name"] == "tokenId");
  CHECK_FALSE(operations.at("LockUser").at(0).op.contains("requestBody"));
}

TEST_CASE(
    "openapi-gen: the embedded document is the generated file, which the overlay and protos give") {
  CHECK(mu::rest::kOpenApiJson == gen_test_read(MU_OPENAPI_DOCUMENT_FILE));
  const mu::openapi::Descriptors descriptors(MU_PROTO_DESCRIPTOR_SET_FILE);
  const auto overlay = Json::parse(gen_test_read(MU_OPENAPI_OVERLAY_FILE));
  CHECK(mu::openapi::generate(descriptors, overlay) == gen_test_document());
}

TEST_CASE("openapi-gen: an overlay that does not fit the protos fails the generation") {
  const mu::openapi::Descriptors descriptors(MU_PROTO_DESCRIPTOR_SET_FILE);
  const auto overlay = Json::parse(gen_test_read(MU_OPENAPI_OVERLAY_FILE));
  using Catch::Matchers::Contains;

  auto unknown = overlay;
  unknown["operations"]["RenameUser"] = {{"tags", {"Users"}}};
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, unknown), Contains("RenameUser"));

  auto untagged = overlay;
  untagged["operations"].erase("LockUser");
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, untagged), Contains("LockUser"));

  auto no_prefix = overlay;
  no_prefix["services"].erase("zitadel.admin.v1.AdminService");
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, no_prefix), Contains("AdminService"));

  auto typo = overlay;
  typo["schemas"]["managementAddOrgRequest"]["properties"]["nmae"] = {{"maxLength", 200}};
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, typo), Contains("nmae"));

  auto missing_component = overlay;
  missing_component["operations"]["GetUserByID"]["parameters"] = {"AsOff"};
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, missing_component), Contains("AsOff"));
}
