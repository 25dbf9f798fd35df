// openapi-gen on the real protos. The document the build generated (and the server embeds)
// is checked against the options as the generated option classes read them, not as the
// generator's reflection does: every RPC is exactly one operation with its verb, path,
// permission and tags; a write lists 409 and the write headers; a path field is a required path
// parameter and no body field; every validate.rules and openapiv2_schema `required` is in the
// schemas. And protos or an overlay that the generator cannot describe fail generation.
#include <catch2/catch.hpp>

#include <google/protobuf/descriptor.pb.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include <google/api/annotations.pb.h>
#include <mu/options.pb.h>
#include <protoc-gen-openapiv2/options/annotations.pb.h>
#include <validate/validate.pb.h>
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

namespace openapiv2 = grpc::gateway::protoc_gen_openapiv2::options;

// The JSON Schema keywords a field's validate.rules should have given, written out here from
// the generated classes.
Json gen_test_expected_limits(const validate::FieldRules& rules,
                              const google::protobuf::FieldDescriptor& field) {
  Json out = Json::object();
  if (rules.has_string()) {
    const auto& string = rules.string();
    if (string.has_min_len()) out["minLength"] = string.min_len();
    if (string.has_max_len()) out["maxLength"] = string.max_len();
    if (string.in_size() > 0)
      out["enum"] = std::vector<std::string>(string.in().begin(), string.in().end());
  }
  if (rules.has_repeated()) {
    const auto& repeated = rules.repeated();
    if (repeated.has_min_items()) out["minItems"] = repeated.min_items();
    if (repeated.has_max_items()) out["maxItems"] = repeated.max_items();
    if (repeated.has_items()) out["items"] = gen_test_expected_limits(repeated.items(), field);
  }
  if (rules.has_enum_() && rules.enum_().not_in_size() > 0) {
    Json excluded = Json::array();
    for (const auto number : rules.enum_().not_in()) {
      excluded.push_back(number);
      if (const auto* value = field.enum_type()->FindValueByNumber(number))
        excluded.push_back(value->name());
    }
    out["not"] = {{"enum", excluded}};
  }
  return out;
}

// Every keyword of `expected` is in `schema` with the same value (nested objects likewise).
bool gen_test_has_limits(const Json& schema, const Json& expected) {
  for (const auto& [key, value] : expected.items()) {
    if (!schema.contains(key)) return false;
    if (value.is_object() ? !gen_test_has_limits(schema[key], value) : schema[key] != value)
      return false;
  }
  return true;
}

bool gen_test_lists(const Json& list, const std::string& name) {
  return std::find(list.begin(), list.end(), Json(name)) != list.end();
}

// The real descriptor set, changed by `change` (to hold what the protos must not), as the
// generator reads it.
std::unique_ptr<mu::openapi::Descriptors> gen_test_descriptors_changed(
    const std::function<void(google::protobuf::FileDescriptorSet&)>& change) {
  google::protobuf::FileDescriptorSet set;
  REQUIRE(set.ParseFromString(gen_test_read(MU_PROTO_DESCRIPTOR_SET_FILE)));
  change(set);
  const auto path = std::filesystem::temp_directory_path() /
                    ("openapi_gen_test_" + std::to_string(::getpid()) + ".protoset");
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    REQUIRE(set.SerializeToOstream(&out));
  }
  auto descriptors = std::make_unique<mu::openapi::Descriptors>(path.string());
  std::filesystem::remove(path);
  return descriptors;
}

google::protobuf::MethodOptions& gen_test_method_options(google::protobuf::FileDescriptorSet& set,
                                                         const std::string& method) {
  for (auto& file : *set.mutable_file())
    for (auto& service : *file.mutable_service())
      for (auto& m : *service.mutable_method())
        if (m.name() == method) return *m.mutable_options();
  FAIL("no method " << method);
  throw std::logic_error("unreachable");
}

google::protobuf::DescriptorProto& gen_test_message(google::protobuf::FileDescriptorSet& set,
                                                    const std::string& message) {
  for (auto& file : *set.mutable_file())
    for (auto& m : *file.mutable_message_type())
      if (file.package() + "." + m.name() == message) return m;
  FAIL("no message " << message);
  throw std::logic_error("unreachable");
}

google::protobuf::FieldDescriptorProto& gen_test_field(google::protobuf::FileDescriptorSet& set,
                                                       const std::string& message,
                                                       const std::string& field) {
  for (auto& f : *gen_test_message(set, message).mutable_field())
    if (f.name() == field) return f;
  FAIL("no field " << message << "." << field);
  throw std::logic_error("unreachable");
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
      const auto& tags = options.GetExtension(openapiv2::openapiv2_operation).tags();
      CHECK_FALSE(tags.empty());
      CHECK(found[0].op["tags"] == Json(std::vector<std::string>(tags.begin(), tags.end())));

      const Json& op = found[0].op;
      const bool writes = options.GetExtension(mu::v1::writes);
      CHECK(op["responses"].contains("409") == writes);
      CHECK(gen_test_has_ref(op["parameters"], "#/components/parameters/IdempotencyKey") == writes);
      CHECK(gen_test_has_ref(op["parameters"], "#/components/parameters/IfMatch") == writes);
      CHECK(op["responses"]["200"]["headers"].contains("Idempotent-Replayed") == writes);
      for (const char* status : {"400", "401", "403", "404", "413", "415", "429", "500", "503"})
        CHECK(op["responses"].contains(status));
      for (int p = 0; p < options.ExtensionSize(mu::v1::parameters); ++p) {
        CHECK(gen_test_has_ref(op["parameters"], "#/components/parameters/" +
                                                     options.GetExtension(mu::v1::parameters, p)));
      }
      for (int h = 0; h < options.ExtensionSize(mu::v1::answer_headers); ++h)
        CHECK(op["responses"]["200"]["headers"].contains(
            options.GetExtension(mu::v1::answer_headers, h)));
    }
  }
  // No operation under a prefix that is not an RPC.
  CHECK(operations.size() == rpcs);
  CHECK(rpcs == 28);
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

TEST_CASE("openapi-gen: every validate.rules and openapiv2_schema required is in the schemas") {
  const auto operations = gen_test_operations();
  std::size_t limits = 0, required = 0;
  for (const auto& [service, prefix] : gen_test_services()) {
    for (int i = 0; i < service->method_count(); ++i) {
      const auto& method = *service->method(i);
      INFO(method.full_name());
      const Json& op = operations.at(method.name()).at(0).op;
      const auto& request = *method.input_type();
      const Json* body = nullptr;
      if (op.contains("requestBody"))
        body = &gen_test_resolve(op["requestBody"]["content"]["application/json"]["schema"]);
      std::map<std::string, const Json*> path;  // path parameters' schemas by name
      for (const auto& parameter : op["parameters"]) {
        const Json& p = gen_test_resolve(parameter);
        if (p["in"] == "path") path[p["name"].get<std::string>()] = &p["schema"];
      }
      for (int f = 0; f < request.field_count(); ++f) {
        const auto& field = *request.field(f);
        INFO(field.name());
        const auto& rules = field.options().GetExtension(validate::rules);
        const Json expected = gen_test_expected_limits(rules, field);
        if (expected.empty()) continue;
        ++limits;
        const Json* schema = path.count(field.json_name()) ? path.at(field.json_name())
                             : body ? &(*body)["properties"][field.json_name()]
                                    : nullptr;
        REQUIRE(schema);
        CHECK(gen_test_has_limits(*schema, expected));
      }
      for (const auto& name :
           request.options().GetExtension(openapiv2::openapiv2_schema).json_schema().required()) {
        ++required;
        const auto* field = request.FindFieldByName(name);
        REQUIRE(field);
        if (path.count(field->json_name())) continue;  // a path parameter: required anyway
        REQUIRE(body);
        CHECK(gen_test_lists(body->value("required", Json::array()), field->json_name()));
      }
      const Json& answer =
          gen_test_resolve(op["responses"]["200"]["content"]["application/json"]["schema"]);
      for (const auto& name : method.output_type()
                                  ->options()
                                  .GetExtension(openapiv2::openapiv2_schema)
                                  .json_schema()
                                  .required()) {
        ++required;
        const auto* field = method.output_type()->FindFieldByName(name);
        REQUIRE(field);
        CHECK(gen_test_lists(answer.value("required", Json::array()), field->json_name()));
      }
    }
  }
  // The protos carry them (not the overlay): a count, so that losing them all fails.
  CHECK(limits >= 20);
  CHECK(required >= 15);
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

  // Per-RPC entries have no place in it: tags and our extras are options of the rpc.
  auto per_rpc = overlay;
  per_rpc["operations"]["LockUser"] = {{"tags", {"Users"}}};
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, per_rpc), Contains("operations"));

  auto no_prefix = overlay;
  no_prefix["services"].erase("zitadel.admin.v1.AdminService");
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, no_prefix), Contains("AdminService"));

  auto typo = overlay;
  typo["schemas"]["userUser"]["properties"]["nmae"] = {{"maxLength", 200}};
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, typo), Contains("nmae"));

  auto unused = overlay;
  unused["restFields"]["afterPositon"] = {{"type", "string"}};
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, unused), Contains("afterPositon"));

  auto missing = overlay;
  missing["restFields"].erase("afterPosition");
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, missing), Contains("afterPosition"));

  auto path_schema = overlay;
  path_schema["pathParameters"]["schema"] = {{"type", "string"}};
  CHECK_THROWS_WITH(mu::openapi::generate(descriptors, path_schema), Contains("schema"));
}

TEST_CASE("openapi-gen: options that the generator cannot describe fail the generation") {
  const auto overlay = Json::parse(gen_test_read(MU_OPENAPI_OVERLAY_FILE));
  using Catch::Matchers::Contains;
  using google::protobuf::FileDescriptorSet;

  const auto untagged = gen_test_descriptors_changed([](FileDescriptorSet& set) {
    gen_test_method_options(set, "LockUser").ClearExtension(openapiv2::openapiv2_operation);
  });
  CHECK_THROWS_WITH(mu::openapi::generate(*untagged, overlay), Contains("LockUser"));

  const auto unknown_tag = gen_test_descriptors_changed([](FileDescriptorSet& set) {
    auto& operation =
        *gen_test_method_options(set, "LockUser").MutableExtension(openapiv2::openapiv2_operation);
    operation.set_tags(0, "Userz");
  });
  CHECK_THROWS_WITH(mu::openapi::generate(*unknown_tag, overlay), Contains("Userz"));

  const auto no_component = gen_test_descriptors_changed([](FileDescriptorSet& set) {
    auto& options = gen_test_method_options(set, "GetUserByID");
    options.ClearExtension(mu::v1::parameters);
    options.AddExtension(mu::v1::parameters, "AsOff");
  });
  CHECK_THROWS_WITH(mu::openapi::generate(*no_component, overlay), Contains("AsOff"));

  const auto not_a_field = gen_test_descriptors_changed([](FileDescriptorSet& set) {
    gen_test_message(set, "zitadel.management.v1.AddOrgRequest")
        .mutable_options()
        ->MutableExtension(openapiv2::openapiv2_schema)
        ->mutable_json_schema()
        ->add_required("nmae");
  });
  CHECK_THROWS_WITH(mu::openapi::generate(*not_a_field, overlay), Contains("nmae"));

  // A string rule on a number: protoc-gen-validate refuses it, and so does the generator.
  const auto wrong_type = gen_test_descriptors_changed([](FileDescriptorSet& set) {
    gen_test_field(set, "zitadel.admin.v1.ListEventsRequest", "limit")
        .mutable_options()
        ->MutableExtension(validate::rules)
        ->mutable_string()
        ->set_max_len(3);
  });
  CHECK_THROWS_WITH(mu::openapi::generate(*wrong_type, overlay), Contains("limit"));

  // An enum rule on a string.
  const auto enum_on_string = gen_test_descriptors_changed([](FileDescriptorSet& set) {
    gen_test_field(set, "zitadel.management.v1.AddOrgRequest", "name")
        .mutable_options()
        ->MutableExtension(validate::rules)
        ->mutable_enum_()
        ->set_defined_only(true);
  });
  CHECK_THROWS_WITH(mu::openapi::generate(*enum_on_string, overlay),
                    Contains("AddOrgRequest.name"));
}

TEST_CASE("openapi-gen: path fields of one name share a parameter only where their rules agree") {
  using google::protobuf::FileDescriptorSet;
  const auto overlay = Json::parse(gen_test_read(MU_OPENAPI_OVERLAY_FILE));
  const auto other = gen_test_descriptors_changed([](FileDescriptorSet& set) {
    gen_test_field(set, "zitadel.management.v1.LockUserRequest", "id")
        .mutable_options()
        ->MutableExtension(validate::rules)
        ->mutable_string()
        ->set_max_len(100);
  });
  const Json doc = mu::openapi::generate(*other, overlay);
  const auto first_parameter = [&](const std::string& path, const std::string& verb) {
    return doc["paths"][path][verb]["parameters"][0]["$ref"].get<std::string>();
  };
  const std::string lock = first_parameter("/management/v1/users/{id}/_lock", "post");
  const std::string unlock = first_parameter("/management/v1/users/{id}/_unlock", "post");
  CHECK(lock != unlock);
  CHECK(first_parameter("/management/v1/users/{id}/_deactivate", "post") == unlock);
  const auto schema_of = [&](const std::string& ref) {
    return doc.at(Json::json_pointer(ref.substr(1)))["schema"];
  };
  CHECK(schema_of(lock)["maxLength"] == 100);
  CHECK(schema_of(unlock)["maxLength"] == 200);

  // The real protos: GenerateMachineSecret's user_id has min_len 1 alone, as in ZITADEL.
  const auto operations = gen_test_operations();
  const auto& generate = operations.at("GenerateMachineSecret").at(0).op["parameters"][0];
  const auto& update = operations.at("UpdateMachine").at(0).op["parameters"][0];
  CHECK(generate["$ref"] != update["$ref"]);
  CHECK_FALSE(gen_test_resolve(generate)["schema"].contains("maxLength"));
  CHECK(gen_test_resolve(update)["schema"]["maxLength"] == 200);
}
