// The RPC table, read from the protos' options and joined with the handlers.
#include <catch2/catch.hpp>

#include <set>

#include "app/pipeline/rpc_table.hpp"
#include "domain/permissions.hpp"

using namespace mu::pipeline;

namespace {

const RpcEntry& entry(std::string_view name) {
  for (const auto& e : rpc_table()) {
    if (e.name == name) return e;
  }
  FAIL("no RPC " << name);
  throw;
}

}  // namespace

TEST_CASE("the RPC table holds every method of both services, each with a handler") {
  const auto& table = rpc_table();
  CHECK(table.size() == 28);
  std::set<std::string> names;
  for (const auto& e : table) {
    INFO(e.full_name);
    CHECK(e.handle != nullptr);
    CHECK_FALSE(e.permission.empty());
    CHECK(e.full_name == e.service + "/" + e.name);
    CHECK(e.new_request()->GetDescriptor() == e.method->input_type());
    CHECK(e.new_response()->GetDescriptor() == e.method->output_type());
    CHECK(e.http.path.starts_with("/"));
    names.insert(e.full_name);
  }
  CHECK(names.size() == table.size());
}

TEST_CASE("the table's permissions, write flags and routes are the protos' options") {
  namespace perm = mu::domain::permission;
  CHECK(entry("UpdateMachine").full_name ==
        "zitadel.management.v1.ManagementService/UpdateMachine");
  CHECK(entry("ListEventTypes").full_name == "zitadel.admin.v1.AdminService/ListEventTypes");
  CHECK(entry("GetUserByID").permission == perm::kUserRead);
  CHECK(entry("RemoveUser").permission == perm::kUserDelete);
  // As the contract has it: removing a member is its own permission.
  CHECK(entry("RemoveOrgMember").permission == perm::kOrgMemberDelete);
  CHECK(entry("AddOrg").permission == perm::kOrgCreate);
  CHECK(entry("UpdateMachine").writes);
  CHECK(entry("AddIAMMember").writes);
  CHECK_FALSE(entry("ListEvents").writes);
  CHECK_FALSE(entry("GetUserByID").writes);
  const auto& update = entry("UpdateMachine").http;
  CHECK(update.verb == "PUT");
  CHECK(update.path == "/users/{user_id}/machine");
  CHECK(update.body == "*");
  CHECK(entry("RemoveUser").http.body.empty());
  // The credential calls, as the contract's table has them.
  CHECK(entry("GenerateMachineSecret").http.verb == "PUT");
  CHECK(entry("GenerateMachineSecret").http.path == "/users/{user_id}/secret");
  CHECK(entry("GenerateMachineSecret").http.body == "*");
  CHECK(entry("RemoveMachineSecret").http.verb == "DELETE");
  CHECK(entry("AddMachineKey").http.path == "/users/{user_id}/keys");
  CHECK(entry("GetMachineKeyByIDs").http.path == "/users/{user_id}/keys/{key_id}");
  CHECK(entry("ListMachineKeys").http.path == "/users/{user_id}/keys/_search");
  CHECK(entry("RemoveMachineKey").http.verb == "DELETE");
  for (auto name :
       {"GenerateMachineSecret", "RemoveMachineSecret", "AddMachineKey", "RemoveMachineKey"}) {
    INFO(name);
    CHECK(entry(name).writes);
    CHECK(entry(name).permission == perm::kUserWrite);
  }
  for (auto name : {"GetMachineKeyByIDs", "ListMachineKeys"}) {
    INFO(name);
    CHECK_FALSE(entry(name).writes);
    CHECK(entry(name).permission == perm::kUserRead);
  }
  CHECK(entry("UpdateMachine").rest_prefix == "/management/v1");
  CHECK(entry("ListEvents").rest_prefix == "/admin/v1");
}

TEST_CASE("a gRPC path names one RPC, or none") {
  CHECK(rpc_of_grpc_path("/zitadel.management.v1.ManagementService/UpdateMachine") ==
        &entry("UpdateMachine"));
  CHECK(rpc_of_grpc_path("/zitadel.admin.v1.AdminService/ListEvents") == &entry("ListEvents"));
  for (const auto& e : rpc_table()) CHECK(rpc_of_grpc_path("/" + e.full_name) == &e);
  // A method in the other service, unknown methods, malformed paths.
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.admin.v1.AdminService/UpdateMachine"));
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.management.v1.ManagementService/ListUsers"));
  CHECK_FALSE(rpc_of_grpc_path("zitadel.management.v1.ManagementService/UpdateMachine"));
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.management.v1.ManagementService"));
  CHECK_FALSE(rpc_of_grpc_path("/zitadel.management.v1.ManagementService/UpdateMachine/x"));
  CHECK_FALSE(rpc_of_grpc_path(""));
  CHECK(serves_service("zitadel.admin.v1.AdminService"));
  CHECK_FALSE(serves_service("zitadel.auth.v1.AuthService"));
}
